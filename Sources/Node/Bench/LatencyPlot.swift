import Foundation

/// An SVG of every order's latency over the run (a dot per order, red when cancelled) with the p50 and p99
/// lines: self-contained, viewable in any browser.
enum LatencyPlot {
    static func svg(_ results: [OrdersLoad.Finished], p50: Double, p99: Double, title: String) -> String {
        let width = 900.0, height = 420.0, left = 60.0, bottom = 40.0, top = 30.0, right = 20.0
        let maxX = max(1, results.map(\.postedAt).max() ?? 1)
        let maxY = max(1, (results.map(\.latencyMs).max() ?? 1) * 1.05)
        func x(_ value: Double) -> Double { left + value / maxX * (width - left - right) }
        func y(_ value: Double) -> Double { height - bottom - value / maxY * (height - top - bottom) }
        var svg = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" font-family="sans-serif" font-size="12">
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(left)" y="18" font-size="14">\(title) (y: latency in ms)</text>
            <line x1="\(left)" y1="\(height - bottom)" x2="\(width - right)" y2="\(height - bottom)" stroke="black"/>
            <line x1="\(left)" y1="\(top)" x2="\(left)" y2="\(height - bottom)" stroke="black"/>
            <text x="\(width / 2 - 60)" y="\(height - 8)">seconds since start</text>

            """
        for tick in 0...5 {
            let value = maxY * Double(tick) / 5
            svg += "<text x=\"4\" y=\"\(y(value) + 4)\">\(Int(value))</text>"
            svg += "<line x1=\"\(left - 4)\" y1=\"\(y(value))\" x2=\"\(left)\" y2=\"\(y(value))\" stroke=\"black\"/>\n"
            let second = maxX * Double(tick) / 5
            svg +=
                "<text x=\"\(x(second) - 8)\" y=\"\(height - bottom + 16)\">\(String(format: "%.0f", second))</text>\n"
        }
        // At most ~20,000 dots: enough to see the shape, small enough to open.
        let step = max(1, results.count / 20_000)
        for (index, result) in results.enumerated() where index % step == 0 {
            let colour = result.completed ? "#2b6cb0" : "#e53e3e"
            svg +=
                "<circle cx=\"\(String(format: "%.1f", x(result.postedAt)))\" cy=\"\(String(format: "%.1f", y(result.latencyMs)))\" r=\"1.2\" fill=\"\(colour)\" fill-opacity=\"0.5\"/>\n"
        }
        for (label, value, colour) in [("p50", p50, "#2f855a"), ("p99", p99, "#c05621")] {
            svg +=
                "<line x1=\"\(left)\" y1=\"\(y(value))\" x2=\"\(width - right)\" y2=\"\(y(value))\" stroke=\"\(colour)\" stroke-dasharray=\"6 4\"/>"
            svg +=
                "<text x=\"\(width - right - 110)\" y=\"\(y(value) - 4)\" fill=\"\(colour)\">\(label) \(String(format: "%.1f", value)) ms</text>\n"
        }
        return svg + "</svg>\n"
    }
}
