import Foundation

/// A table of a report: a header row, body rows of text cells, and a column alignment each.
public struct Table: Sendable, Equatable {
    public enum Alignment: Sendable { case left, right }

    public let columns: [String]
    public let alignments: [Alignment]
    public let rows: [[String]]
    /// Columns of values measured on the machine that rendered the report (times and what follows from
    /// them): the only values that differ between renders. Reports mark their cells `class="measured"`.
    public let measuredColumns: Set<Int>

    /// A table; every row must have one cell per column.
    public init(columns: [String], alignments: [Alignment], rows: [[String]], measuredColumns: Set<Int> = []) {
        precondition(alignments.count == columns.count && rows.allSatisfy { $0.count == columns.count },
                     "every row needs one cell per column")
        self.columns = columns
        self.alignments = alignments
        self.rows = rows
        self.measuredColumns = measuredColumns
    }

    /// The text of a body cell in Markdown: measured values inside `<span class="measured">`.
    func markdownCell(_ text: String, column: Int) -> String {
        measuredColumns.contains(column) ? "<span class=\"measured\">\(text)</span>" : text
    }

    /// The table as a GitHub-flavoured Markdown pipe table, columns padded to equal width
    /// (so it also reads well as plain text); `|` in a cell is escaped.
    public var markdown: String {
        let marked = [columns] + rows.map { row in row.enumerated().map { markdownCell($0.element, column: $0.offset) } }
        // (A byte test: String.contains(String) goes through Foundation, and this runs for every cell.)
        let escaped = marked.map { $0.map { $0.utf8.contains(UInt8(ascii: "|")) ? $0.replacingOccurrences(of: "|", with: "\\|") : $0 } }
        // Widths in Unicode scalars, counted once per cell.
        let lengths = escaped.map { $0.map(\.unicodeScalars.count) }
        // A measured column is as wide as its header, so that the header and rule lines do not change
        // with the values (longer values run past the column's padding).
        let widths = columns.indices.map { column in
            max(3, measuredColumns.contains(column) ? lengths[0][column] : lengths.map { $0[column] }.max() ?? 3)
        }
        func line(_ row: Int) -> String {
            var text = "|"
            for column in columns.indices {
                let padding = String(repeating: " ", count: max(0, widths[column] - lengths[row][column]))
                text += " " + (alignments[column] == .right ? padding + escaped[row][column] : escaped[row][column] + padding) + " |"
            }
            return text
        }
        let rule = "| " + columns.indices.map { column in
            let dashes = String(repeating: "-", count: widths[column] - 1)
            return alignments[column] == .right ? dashes + ":" : ":" + dashes
        }.joined(separator: " | ") + " |"
        return ([line(0), rule] + escaped.indices.dropFirst().map(line)).joined(separator: "\n") + "\n"
    }
}
