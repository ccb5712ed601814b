/// GitHub-flavoured Markdown: the notebook's prose as written, with each cell replaced by its outputs
/// (pipe tables, `![Figure n: caption](<name>_files/<label>.svg)` images, notes as block quotes).
public enum MarkdownWriter {
    /// The Markdown text and the figure files it refers to (relative path and SVG text).
    public static func write(_ document: ReportDocument, filesFolder: String) -> (text: String, files: [(path: String, contents: String)]) {
        var text = "", files = [(path: String, contents: String)]()
        for block in document.blocks {
            switch block {
            case let .prose(markdown, _):
                text += markdown
            case let .cell(cell):
                text += self.cell(cell) { svg in
                    let path = "\(filesFolder)/\(cell.label).svg"
                    files.append((path, svg))
                    return path
                }
            }
        }
        return (text, files)
    }

    /// A cell's outputs as Markdown; `figure` places a figure's SVG and returns the address its image links to.
    static func cell(_ cell: CellReport, figure: (String) -> String) -> String {
        var parts = [String]()
        for output in cell.outputs {
            switch output {
            case let .table(table):
                let caption = [cell.name, cell.caption].compactMap { $0 }.joined(separator: ": ")
                parts.append((caption.isEmpty ? "" : caption + "\n\n") + table.markdown)
            case let .figure(svg):
                let alt = [cell.name, cell.caption].compactMap { $0 }.joined(separator: ": ")
                parts.append("![\(alt)](\(figure(svg)))\n")
            case let .text(body):
                parts.append(body + "\n")
            case let .callout(note):
                parts.append("> **Note:** \(note)\n")
            }
        }
        if let error = cell.error { parts.append("> **Error** in `\(cell.label)`: \(error)\n") }
        return parts.joined(separator: "\n")
    }
}
