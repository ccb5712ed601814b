/// "Did you mean" suggestions for mistyped names.
public enum Suggestion {
    /// The known name closest to `name`: one it is a prefix of (when it has more than two characters),
    /// else one at most two edits away; nil when none is close.
    public static func nearest(_ name: String, among names: [String]) -> String? {
        if name.count > 2, let prefixed = names.first(where: { $0.hasPrefix(name) }) { return prefixed }
        let scored = names.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// The Levenshtein distance: the fewest insertions, deletions and substitutions from a to b.
    /// - Complexity: O(|a| |b|).
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        guard !x.isEmpty else { return y.count }
        guard !y.isEmpty else { return x.count }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + [Int](repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
