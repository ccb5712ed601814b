internal import CCMark
#if canImport(Glibc)
import Glibc
#endif

/// The fenced code blocks at the top level of a Markdown document, as cmark (CommonMark) finds them:
/// fences inside lists, block quotes or longer fences are recognised exactly as a Markdown reader sees
/// them. This is the only file that imports cmark; the C tree is freed before the function returns.
enum CommonMark {
    struct FencedBlock: Equatable {
        /// The info string after the opening fence.
        let info: String
        /// The content between the fences.
        let literal: String
        /// 1-based lines of the opening fence and of the block's last line (the closing fence, when
        /// there is one).
        let startLine: Int
        /// The column of the opening fence.
        let startColumn: Int
        let endLine: Int
    }

    /// The top-level fenced code blocks of the document made of `lines`, in document order.
    static func fencedBlocks(in lines: [String]) -> [FencedBlock] {
        let markdown = lines.joined(separator: "\n") + "\n"
        let bytes = Array(markdown.utf8)
        guard let root = cmark_parse_document(bytes, bytes.count, CMARK_OPT_SOURCEPOS) else { return [] }
        defer { cmark_node_free(root) }
        var blocks = [FencedBlock]()
        var node = cmark_node_first_child(root)
        while let current = node {
            if cmark_node_get_type(current) == CMARK_NODE_CODE_BLOCK, let info = cmark_node_get_fence_info(current) {
                let fence = String(cString: info)
                // Indented code blocks have an empty info string and no fence line of their own.
                let start = Int(cmark_node_get_start_line(current))
                if !fence.isEmpty || (start >= 1 && start <= lines.count && Self.isFence(lines[start - 1])) {
                    blocks.append(FencedBlock(info: fence, literal: cmark_node_get_literal(current).map { String(cString: $0) } ?? "",
                                              startLine: Int(cmark_node_get_start_line(current)),
                                              startColumn: Int(cmark_node_get_start_column(current)),
                                              endLine: Int(cmark_node_get_end_line(current))))
                }
            }
            node = cmark_node_next(current)
        }
        return blocks
    }

    /// `markdown` rendered to HTML in cmark's safe mode (raw HTML is dropped, left as a comment, and
    /// `javascript:`, `vbscript:`, `file:` and non-image `data:` links are emptied), with the plain text
    /// and level of each heading in order.
    /// Paragraphs that are GFM pipe tables (`PipeTable`) become tables: the paragraph's node is replaced
    /// by a custom block holding the table's HTML, each cell rendered by cmark as inline Markdown.
    static func html(_ markdown: String) -> (html: String, headings: [(level: Int, text: String)]) {
        let bytes = Array(markdown.utf8)
        guard let root = cmark_parse_document(bytes, bytes.count, CMARK_OPT_DEFAULT) else { return ("", []) }
        defer { cmark_node_free(root) }
        replaceTables(in: root, lines: markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        var headings = [(level: Int, text: String)]()
        if let iterator = cmark_iter_new(root) {
            defer { cmark_iter_free(iterator) }
            var heading: (level: Int, text: String)?
            while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
                guard let node = cmark_iter_get_node(iterator) else { continue }
                let type = cmark_node_get_type(node)
                if type == CMARK_NODE_HEADING {
                    if event == CMARK_EVENT_ENTER { heading = (Int(cmark_node_get_heading_level(node)), "") }
                    else if let finished = heading { headings.append(finished); heading = nil }
                } else if heading != nil, event == CMARK_EVENT_ENTER, type == CMARK_NODE_TEXT || type == CMARK_NODE_CODE,
                          let literal = cmark_node_get_literal(node) {
                    heading!.text += String(cString: literal)
                }
            }
        }
        guard let rendered = cmark_render_html(root, CMARK_OPT_DEFAULT) else { return ("", headings) }
        defer { free(rendered) }
        return (String(cString: rendered), headings)
    }

    /// Replaces each paragraph under `root` whose source lines (`lines`, less the paragraph's indentation)
    /// form a pipe table by a custom block holding the table's HTML.
    private static func replaceTables(in root: OpaquePointer, lines: [String]) {
        var paragraphs = [OpaquePointer]()
        if let iterator = cmark_iter_new(root) {
            defer { cmark_iter_free(iterator) }
            while case let event = cmark_iter_next(iterator), event != CMARK_EVENT_DONE {
                if event == CMARK_EVENT_ENTER, let node = cmark_iter_get_node(iterator), cmark_node_get_type(node) == CMARK_NODE_PARAGRAPH {
                    paragraphs.append(node)
                }
            }
        }
        for paragraph in paragraphs {
            let first = Int(cmark_node_get_start_line(paragraph)), last = Int(cmark_node_get_end_line(paragraph))
            let indent = Int(cmark_node_get_start_column(paragraph)) - 1
            guard first >= 1, last <= lines.count, first < last else { continue }
            let source = lines[(first - 1)..<last].map { String($0.dropFirst(min(indent, $0.prefix { $0 == " " || $0 == ">" }.count))) }
            guard let table = PipeTable(lines: source), let block = cmark_node_new(CMARK_NODE_CUSTOM_BLOCK) else { continue }
            _ = cmark_node_set_on_enter(block, table.html(inline: inlineHTML))
            _ = cmark_node_set_on_exit(block, "")
            _ = cmark_node_replace(paragraph, block)
            cmark_node_free(paragraph)
        }
    }

    /// One table cell's inline Markdown as HTML, in safe mode. The cell is parsed after an escaped `&`
    /// that is then taken off again, so that it stays one paragraph of inlines whatever it begins
    /// with (`# of filters` is no heading, `1. x` no list).
    static func inlineHTML(_ cell: String) -> String {
        let bytes = Array(("\\&" + cell).utf8)
        guard let root = cmark_parse_document(bytes, bytes.count, CMARK_OPT_DEFAULT) else { return "" }
        defer { cmark_node_free(root) }
        guard let rendered = cmark_render_html(root, CMARK_OPT_DEFAULT) else { return "" }
        defer { free(rendered) }
        let html = String(cString: rendered), prefix = "<p>&amp;", suffix = "</p>\n"
        guard html.hasPrefix(prefix), html.hasSuffix(suffix) else { return html }
        return String(html.dropFirst(prefix.count).dropLast(suffix.count))
    }

    /// Whether a line is a code fence: up to three spaces, then three or more backticks or tildes.
    static func isFence(_ line: String) -> Bool {
        let trimmed = line.drop { $0 == " " }
        guard line.count - trimmed.count <= 3, let mark = trimmed.first, mark == "`" || mark == "~" else { return false }
        return trimmed.prefix { $0 == mark }.count >= 3
    }
}
