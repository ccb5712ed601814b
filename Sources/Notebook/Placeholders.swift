import Foundation

/// Delimited references in notebook text, such as `${name}` in cell arguments.
enum Placeholders {
    /// `text` with each `open` ... `close` span replaced by `resolve(content, line, column)` (line and
    /// column in the notebook). An `open` without `close` on its line is kept as written, or is an error
    /// with `unclosed` as its message.
    static func replace(in text: String, open: String, close: String, firstLine: Int, unclosed: String? = nil,
                        diagnostic: (Int, Int, String) -> Diagnostic,
                        resolve: (String, Int, Int) throws(Diagnostic) -> String) throws(Diagnostic) -> String {
        var output = ""
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if offset > 0 { output += "\n" }
            var rest = Substring(line)
            while let start = rest.firstRange(of: open) {
                output += rest[..<start.lowerBound]
                let column = line.distance(from: line.startIndex, to: start.lowerBound) + 1
                guard let end = rest[start.upperBound...].firstRange(of: close) else {
                    if let unclosed { throw diagnostic(firstLine + offset, column, unclosed) }
                    break
                }
                output += try resolve(String(rest[start.upperBound..<end.lowerBound]), firstLine + offset, column)
                rest = rest[end.upperBound...]
            }
            output += rest
        }
        return output
    }
}
