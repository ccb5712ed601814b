import Foundation

/// A table of a report: a header row, body rows of text cells, and a column alignment each.
public struct Table: Sendable, Equatable, Codable {
    public enum Alignment: String, Sendable, Codable { case left, right }

    public let columns: [String]
    public let alignments: [Alignment]
    public let rows: [[String]]

    /// A table; every row must have one cell per column.
    public init(columns: [String], alignments: [Alignment], rows: [[String]]) {
        precondition(alignments.count == columns.count && rows.allSatisfy { $0.count == columns.count },
                     "every row needs one cell per column")
        self.columns = columns
        self.alignments = alignments
        self.rows = rows
    }

    /// The table as a GitHub-flavoured Markdown pipe table, columns padded to equal width
    /// (so it also reads well as plain text); `|` in a cell is escaped.
    public var markdown: String {
        let escaped = ([columns] + rows).map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|") } }
        let widths = columns.indices.map { column in max(3, escaped.map { $0[column].count }.max() ?? 3) }
        func line(_ cells: [String]) -> String {
            let padded = cells.indices.map { column -> String in
                let padding = String(repeating: " ", count: widths[column] - cells[column].count)
                return alignments[column] == .right ? padding + cells[column] : cells[column] + padding
            }
            return "| " + padded.joined(separator: " | ") + " |"
        }
        let rule = "| " + columns.indices.map { column in
            let dashes = String(repeating: "-", count: widths[column] - 1)
            return alignments[column] == .right ? dashes + ":" : ":" + dashes
        }.joined(separator: " | ") + " |"
        return ([line(escaped[0]), rule] + escaped.dropFirst().map(line)).joined(separator: "\n") + "\n"
    }
}
