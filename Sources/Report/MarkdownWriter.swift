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
                var parts = [String]()
                for output in cell.outputs {
                    switch output {
                    case let .table(table):
                        let caption = [cell.name, cell.caption].compactMap { $0 }.joined(separator: ": ")
                        parts.append((caption.isEmpty ? "" : caption + "\n\n") + table.markdown)
                    case let .figure(svg):
                        let path = "\(filesFolder)/\(cell.label).svg"
                        files.append((path, svg))
                        let alt = [cell.name, cell.caption].compactMap { $0 }.joined(separator: ": ")
                        parts.append("![\(alt)](\(path))\n")
                    case let .text(body):
                        parts.append(body + "\n")
                    case let .callout(note):
                        parts.append("> **Note:** \(note)\n")
                    }
                }
                if let error = cell.error { parts.append("> **Error** in `\(cell.label)`: \(error)\n") }
                text += parts.joined(separator: "\n")
            }
        }
        return (text, files)
    }
}
