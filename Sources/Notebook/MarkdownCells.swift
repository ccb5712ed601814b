internal import CCMark

/// A fenced code block of a notebook whose info string starts with `fpgm`: a cell.
public struct Cell: Sendable, Equatable {
    /// The first word after `fpgm` in the info string (for ```` ```fpgm flops ```` it is `flops`).
    public let directive: String
    /// The block's content, without the fences.
    public let source: String
    /// The 1-based line of the opening fence in the notebook.
    public let line: Int
}

/// The cells of a Markdown notebook, found by parsing it with cmark (CommonMark), so that fences
/// inside lists, block quotes or longer fences are recognised exactly as a Markdown reader sees them.
public struct NotebookCells: Sendable, Equatable {
    public let cells: [Cell]

    /// Parses `markdown` and collects its `fpgm` cells in document order.
    public init(parsing markdown: String) {
        var found = [Cell]()
        let bytes = Array(markdown.utf8)
        guard let root = cmark_parse_document(bytes, bytes.count, CMARK_OPT_SOURCEPOS) else {
            cells = []
            return
        }
        defer { cmark_node_free(root) }
        guard let iterator = cmark_iter_new(root) else {
            cells = []
            return
        }
        defer { cmark_iter_free(iterator) }
        while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
            guard event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator),
                  cmark_node_get_type(node) == CMARK_NODE_CODE_BLOCK,
                  let info = cmark_node_get_fence_info(node).map({ String(cString: $0) }) else { continue }
            let words = info.split(separator: " ", omittingEmptySubsequences: true)
            guard words.first == "fpgm" else { continue }
            let source = cmark_node_get_literal(node).map { String(cString: $0) } ?? ""
            found.append(Cell(directive: words.dropFirst().first.map(String.init) ?? "",
                              source: source, line: Int(cmark_node_get_start_line(node))))
        }
        cells = found
    }
}
