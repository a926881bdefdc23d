import Foundation

/// CPU time of processes, read from `/proc` (Linux): what the benchmarks charge to the node, to Postgres and
/// to the load generator.
enum ProcessCPU {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    struct Times {
        /// The process's own user + system time, in seconds.
        var own: Double
        /// Time of its children that have exited and been waited for.
        var reapedChildren: Double
        var parent: Int32
    }

    /// `/proc/<pid>/stat`, or nil if the process is gone.
    static func times(_ pid: Int32) -> Times? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .ascii),
            let close = text.lastIndex(of: ")")
        else { return nil }
        // After "pid (comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 14, let parent = Int32(fields[1]), let utime = Double(fields[11]),
            let stime = Double(fields[12]),
            let cutime = Double(fields[13]), let cstime = Double(fields[14])
        else { return nil }
        return Times(
            own: (utime + stime) / Self.ticksPerSecond, reapedChildren: (cutime + cstime) / Self.ticksPerSecond,
            parent: parent)
    }

    /// This process's own CPU seconds.
    static func ownSeconds() -> Double {
        Self.times(getpid())?.own ?? 0
    }

    /// CPU seconds of a process and all its children, living and exited (e.g. a Postgres server: the postmaster,
    /// its backends, and the backends that have already closed).
    static func treeSeconds(_ root: Int32) -> Double {
        var total = 0.0
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = Int32(entry), pid != root, let times = Self.times(pid), times.parent == root else {
                continue
            }
            total += times.own
        }
        if let times = Self.times(root) { total += times.own + times.reapedChildren }
        return total
    }
}
