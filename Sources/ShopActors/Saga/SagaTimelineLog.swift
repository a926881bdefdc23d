import Foundation

/// A saga's timeline as an append-only text log (the `sagas.timeline` column): a turn appends the lines for
/// what it changed instead of rewriting the whole timeline. One line per record, fields split by tabs:
///
///     S <step> <command> <started, ms since 1970>          an entry starts (outcome "running")
///     F <outcome> <finished, ms since 1970> <detail>       the last entry finishes
///
/// Readable in psql, cheap to write and to fold back into entries.
enum SagaTimelineLog {
    /// The lines that turn `before` into `after` (`after` extends `before`, its last old entry possibly finished).
    static func append(from before: [OrderSagaState.TimelineEntry], to after: [OrderSagaState.TimelineEntry]) -> String
    {
        var text = ""
        if let last = before.indices.last, last < after.count, before[last].finishedAt == nil,
            let finished = after[last].finishedAt
        {
            text += Self.finishLine(after[last], at: finished)
        }
        for entry in after.dropFirst(before.count) {
            text += "S\t\(entry.step)\t\(Self.clean(entry.command))\t\(Self.millis(entry.startedAt))\n"
            if let finished = entry.finishedAt { text += Self.finishLine(entry, at: finished) }
        }
        return text
    }

    /// The whole timeline as a log (for a saga converted from the earlier JSON form).
    static func encode(_ timeline: [OrderSagaState.TimelineEntry]) -> String {
        Self.append(from: [], to: timeline)
    }

    /// Folds a log back into entries; lines it does not understand are skipped.
    static func decode(_ text: String) -> [OrderSagaState.TimelineEntry] {
        var entries: [OrderSagaState.TimelineEntry] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            switch fields.first {
            case "S" where fields.count >= 4:
                guard let step = Int(fields[1]), let started = Int64(fields[3]) else { continue }
                entries.append(
                    .init(step: step, command: String(fields[2]), outcome: "running", startedAt: Self.date(started)))
            case "F" where fields.count >= 3 && !entries.isEmpty:
                guard let finished = Int64(fields[2]) else { continue }
                entries[entries.count - 1].outcome = String(fields[1])
                entries[entries.count - 1].finishedAt = Self.date(finished)
                let detail = fields.count > 3 ? String(fields[3]) : ""
                entries[entries.count - 1].detail = detail.isEmpty ? nil : detail
            default:
                continue
            }
        }
        return entries
    }

    private static func finishLine(_ entry: OrderSagaState.TimelineEntry, at finished: Date) -> String {
        "F\t\(Self.clean(entry.outcome))\t\(Self.millis(finished))\t\(Self.clean(entry.detail ?? ""))\n"
    }

    /// Tabs and line breaks would split a record.
    private static func clean(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 9 || $0 == 10 || $0 == 13 }) else { return text }
        return String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" ? " " : $0 })
    }

    private static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }
    private static func date(_ millis: Int64) -> Date { Date(timeIntervalSince1970: Double(millis) / 1000) }
}
