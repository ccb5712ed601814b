import Foundation

/// A Jupyter notebook (nbformat 4.5) of a report, which JupyterLab and nbviewer open as it is: the prose
/// as Markdown cells (inline values filled in, math left to Jupyter), and each directive cell as a code
/// cell holding its source (YAML: the `#|` options are comments) under a first line `# fpgm DIRECTIVE`,
/// with one `display_data` output: the cell's HTML, its Markdown (figures inline as SVG data) and its
/// exported values as `application/json`. Cell ids are the labels (`prose-N` for prose), so that the
/// same report gives the same bytes.
public enum JupyterWriter {
    /// `values`: each cell's exported values by label.
    public static func write(_ document: ReportDocument, values: [String: JSONValue]) -> String {
        var cells = [JSONValue](), prose = 0
        for block in document.blocks {
            switch block {
            case let .prose(markdown, _):
                guard !markdown.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { continue }
                prose += 1
                cells.append(.object([("cell_type", .string("markdown")), ("id", .string("prose-\(prose)")), ("metadata", .object([])),
                                      ("source", .string(markdown.trimmingCharacters(in: .newlines)))]))
            case let .cell(cell):
                let shown = CellReport(label: cell.label, directive: cell.directive, source: cell.source, caption: cell.caption, kind: cell.kind,
                                       number: cell.number, outputs: cell.outputs, error: cell.error, source: .hidden)
                let markdown = MarkdownWriter.cell(cell) { svg in "data:image/svg+xml;base64," + Data(svg.utf8).base64EncodedString() }
                let output = JSONValue.object([
                    ("output_type", .string("display_data")),
                    ("data", .object([("text/html", .string(HTMLWriter.cell(shown))), ("text/markdown", .string(markdown)),
                                      ("application/json", values[cell.label] ?? .object([]))])),
                    ("metadata", .object([])),
                ])
                cells.append(.object([
                    ("cell_type", .string("code")),
                    ("execution_count", .null),
                    ("id", .string(cell.label.count <= 64 ? cell.label : "cell-\(cells.count + 1)")),
                    ("metadata", .object([("fpgm", .object([("directive", .string(cell.directive)), ("label", .string(cell.label))]))])),
                    ("outputs", .array([output])),
                    ("source", .string("# fpgm \(cell.directive)\n" + cell.source.trimmingCharacters(in: .newlines))),
                ]))
            }
        }
        return JSONValue.object([
            ("cells", .array(cells)),
            ("metadata", .object([
                ("language_info", .object([("name", .string("yaml"))])),
                ("title", .string(document.pageTitle)),
            ])),
            ("nbformat", .int(4)),
            ("nbformat_minor", .int(5)),
        ]).text(indent: 1) + "\n"
    }
}
