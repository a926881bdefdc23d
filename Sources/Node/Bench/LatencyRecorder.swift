/// Collects latency samples (microseconds) and summarises them.
struct LatencyRecorder: Sendable {
    private(set) var samples: [UInt32] = []

    init() {
        self.samples.reserveCapacity(1 << 16)
    }

    mutating func record(nanoseconds: UInt64) {
        self.samples.append(UInt32(min(nanoseconds / 1000, UInt64(UInt32.max))))
    }

    mutating func merge(_ other: LatencyRecorder) {
        self.samples.append(contentsOf: other.samples)
    }

    var count: Int { self.samples.count }

    /// The `q` quantile (0...1) in microseconds, or 0 without samples.
    func quantile(_ q: Double) -> Double {
        guard !self.samples.isEmpty else { return 0 }
        let sorted = self.samples.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))
        return Double(sorted[index])
    }
}
