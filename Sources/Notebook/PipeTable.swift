import Foundation

/// A GitHub-flavoured Markdown pipe table (GFM specification, "Tables (extension)"): a header row, a
/// delimiter row of `-` runs with optional `:` at either end (which set the column's alignment), with as
/// many cells as the header, then body rows up to the end of the paragraph. A body row with fewer cells
/// gets empty ones, extra cells are dropped; `\|` is a pipe inside a cell. Cells hold inline Markdown.
/// Here the table must begin its paragraph, and a one-column table needs its pipes (`| a |` over
/// `| - |`: a bare `---` under a line makes a heading).
struct PipeTable: Equatable {
    enum Alignment: String {
        case none = "", left, center, right
    }

    let alignments: [Alignment]
    let header: [String]
    let rows: [[String]]

    /// The table that the paragraph made of `lines` is, or nil when it is none.
    init?(lines: [String]) {
        guard lines.count >= 2, lines[0].contains("|") || lines[1].contains("|") else { return nil }
        let header = Self.cells(lines[0])
        guard let alignments = Self.alignments(lines[1]), alignments.count == header.count else { return nil }
        self.alignments = alignments
        self.header = header
        rows = lines.dropFirst(2).map { line in
            let cells = Self.cells(line)
            return (0..<header.count).map { $0 < cells.count ? cells[$0] : "" }
        }
    }

    /// The cells of one row: split at pipes that are not escaped, without the leading and trailing pipe,
    /// each trimmed, `\|` turned into `|`.
    static func cells(_ line: String) -> [String] {
        var cells = [String](), cell = "", characters = Array(line.trimmingCharacters(in: .whitespaces)), index = 0
        if characters.first == "|" { characters.removeFirst() }
        if characters.last == "|", characters.count < 2 || characters[characters.count - 2] != "\\" { characters.removeLast() }
        while index < characters.count {
            if characters[index] == "\\", index + 1 < characters.count, characters[index + 1] == "|" {
                cell.append("|")
                index += 2
                continue
            }
            if characters[index] == "|" {
                cells.append(cell.trimmingCharacters(in: .whitespaces))
                cell = ""
            } else {
                cell.append(characters[index])
            }
            index += 1
        }
        cells.append(cell.trimmingCharacters(in: .whitespaces))
        return cells
    }

    /// The alignments of a delimiter row, or nil when `line` is none.
    static func alignments(_ line: String) -> [Alignment]? {
        var alignments = [Alignment]()
        for cell in cells(line) {
            let left = cell.hasPrefix(":"), right = cell.hasSuffix(":") && cell.count > 1
            let dashes = cell.dropFirst(left ? 1 : 0).dropLast(right ? 1 : 0)
            guard !dashes.isEmpty, dashes.allSatisfy({ $0 == "-" }) else { return nil }
            alignments.append(left && right ? .center : left ? .left : right ? .right : .none)
        }
        return alignments
    }

    /// The table as HTML, each cell's Markdown rendered by `inline` (as GFM writes tables: `align`
    /// attributes, no `<tbody>` without body rows).
    func html(inline: (String) -> String) -> String {
        func row(_ cells: [String], tag: String) -> String {
            "<tr>\n" + zip(cells, alignments).map { cell, alignment in
                let align = alignment == .none ? "" : " align=\"\(alignment.rawValue)\""
                return "<\(tag)\(align)>\(inline(cell))</\(tag)>\n"
            }.joined() + "</tr>\n"
        }
        let body = rows.isEmpty ? "" : "<tbody>\n" + rows.map { row($0, tag: "td") }.joined() + "</tbody>\n"
        return "<table>\n<thead>\n" + row(header, tag: "th") + "</thead>\n" + body + "</table>\n"
    }
}
