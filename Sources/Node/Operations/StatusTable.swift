import Foundation
import ShopActors

/// `node status`'s table: plain text, aligned columns, one section each for nodes, service queues and sagas.
enum StatusTable {
    static func render(_ report: ClusterReport) -> String {
        var out =
            "cluster \(report.cluster): \(report.nodes.filter { $0.state == "up" }.count)/\(report.nodes.count) nodes up"
        out += " (seen from \(report.observedBy) at \(report.generatedAt.formatted(.iso8601)))\n\n"
        out += Self.columns(
            ["NODE", "ADDRESS", "STATE", "INCARNATION", "UPTIME", "RTT", "SERVICES"],
            report.nodes.map { node in
                [
                    node.name, node.address, node.state + (node.detail.map { " (\($0))" } ?? ""),
                    node.incarnation ?? "-",
                    node.uptimeSeconds.map(Self.duration) ?? "-",
                    node.rttMs.map { String(format: "%.2f ms", $0) } ?? "-",
                    node.services.joined(separator: ", "),
                ]
            })
        out += "\n"
        out += Self.columns(
            ["SERVICE", "NODE", "ROLE", "PENDING", "SCHEDULED", "OLDEST PENDING", "DEAD LETTERS"],
            report.services.map { queue in
                guard queue.reachable else {
                    return [queue.service, queue.node, "-", "-", "-", "-", "- (not reachable)"]
                }
                return [
                    queue.service, queue.node, queue.role ?? "-", "\(queue.pending ?? 0)", "\(queue.scheduled ?? 0)",
                    Self.duration(queue.oldestPendingSeconds ?? 0), "\(queue.deadLetters ?? 0)",
                ]
            })
        var failovers = Set<String>()
        for queue in report.services where queue.reachable {
            guard let at = queue.lastFailoverAt, failovers.insert(queue.service).inserted else { continue }
            out +=
                "FAILOVER \(queue.service): \(queue.previousNode ?? "?") → \(queue.activeNode ?? "?") at \(at.formatted(.iso8601))"
                + " (epoch \(queue.leaseEpoch ?? 0))\n"
        }
        out += "\n"
        if let sagas = report.sagas {
            let statuses = OrderSagaState.Status.allCases.map(\.rawValue)
            out += "SAGAS  " + statuses.map { "\($0) \(sagas[$0] ?? 0)" }.joined(separator: " · ") + "\n"
        } else {
            out += "SAGAS  - (the saga service is not reachable)\n"
        }
        if let admission = report.admission {
            let limit = admission.limit > 0 ? "\(admission.limit)" : "none"
            out +=
                "ORDERS accepted \(admission.accepted) · shed \(admission.shed) · in flight \(admission.inFlight) (limit \(limit))"
                + " · stuck \(admission.stuck) · resolved \(admission.resolved)\n"
            if admission.stuck > 0 {
                out +=
                    "STUCK  \(admission.stuck) orders, oldest \(Self.duration(admission.oldestStuckSeconds)): \(admission.stuckReason ?? "-")\n"
            }
        } else {
            out += "ORDERS - (the gateway is not reachable)\n"
        }
        return out
    }

    static func columns(_ header: [String], _ rows: [[String]]) -> String {
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        return ([header] + rows).map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    static func duration(_ seconds: Double) -> String {
        switch seconds {
        case ..<60: String(format: "%.1f s", seconds)
        case ..<3600: "\(Int(seconds) / 60)m\(String(format: "%02d", Int(seconds) % 60))s"
        case ..<86_400: "\(Int(seconds) / 3600)h\(String(format: "%02d", Int(seconds) % 3600 / 60))m"
        default: "\(Int(seconds) / 86_400)d\(Int(seconds) % 86_400 / 3600)h"
        }
    }
}
