import Foundation

/// Fixed, locale-independent number formats, so that reports are byte-identical on every machine.
public enum NumberFormat {
    /// A value rounded to the nearest integer with thousands separated by commas: 125485056 -> "125,485,056".
    public static func grouped(_ value: Double) -> String {
        let rounded = value.rounded()
        guard rounded.magnitude < 9.0e18 else { return String(format: "%.6e", value) }
        let digits = String(Int64(rounded).magnitude)
        var out = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0 && (digits.count - offset) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (rounded < 0 ? "-" : "") + out
    }

    /// A value with exactly `digits` decimals, rounded half away from zero on the decimal value.
    public static func fixed(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)f", value)
    }

    /// A value in scientific notation with `digits` decimals: 1.3093e-15 -> "1.31e-15".
    public static func scientific(_ value: Double, digits: Int) -> String {
        String(format: "%.\(digits)e", value)
    }
}

extension NumberFormat {
    /// A value with at most `digits` decimals and no trailing zeros: 0.60 -> "0.6", 40.0 -> "40".
    public static func trimmed(_ value: Double, digits: Int = 4) -> String {
        var text = fixed(value, digits: digits)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension NumberFormat {
    /// Indices in ascending order, runs of three or more as ranges: [0, 1, 2, 3, 7, 9, 10, 11, 12] ->
    /// "0-3 7 9-12" (a pair stays "5 6").
    public static func indexRanges(_ indices: [Int]) -> String {
        var parts = [String](), sorted = Array(Set(indices)).sorted()[...]
        while let start = sorted.first {
            var end = start
            while sorted.dropFirst(end - start + 1).first == end + 1 { end += 1 }
            sorted = sorted.dropFirst(end - start + 1)
            parts += end - start >= 2 ? ["\(start)-\(end)"] : (start...end).map(String.init)
        }
        return parts.joined(separator: " ")
    }
}
