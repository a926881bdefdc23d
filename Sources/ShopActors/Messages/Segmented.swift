/// Splits `items` into consecutive runs in which no key appears twice, keeping arrival order between runs.
///
/// A set-based handler runs one statement per kind of work for each run: within a run every key (an order) is
/// touched once, so the order of those statements cannot matter, while two messages about the same order
/// still apply one after the other. Under load a run is usually the whole batch.
func segmented<T>(_ items: [T], by key: (T) -> String) -> [[T]] {
    var runs: [[T]] = []
    var current: [T] = []
    var keys = Set<String>()
    for item in items {
        if !keys.insert(key(item)).inserted {
            runs.append(current)
            current = []
            keys = [key(item)]
        }
        current.append(item)
    }
    if !current.isEmpty { runs.append(current) }
    return runs
}
