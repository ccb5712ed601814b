/// One rendered notebook: prose and cell outputs in notebook order, which the writers turn into HTML,
/// Markdown and JSON.
public struct ReportDocument: Sendable {
    public var title: String?
    /// The authors, as one line ("A. Reader, B. Writer").
    public var author: String?
    public var date: String?
    public var description: String?
    public var blocks: [ReportBlock]
    public var contents: TableOfContents

    public init(title: String?, author: String? = nil, date: String? = nil, description: String? = nil, blocks: [ReportBlock],
                contents: TableOfContents = TableOfContents(entries: [])) {
        self.title = title
        self.author = author
        self.date = date
        self.description = description
        self.blocks = blocks
        self.contents = contents
    }

    /// The page's title: the front matter's, else the first heading's text.
    public var pageTitle: String { title ?? contents.entries.first?.text ?? "fpgm report" }
}

/// The headings of a report's prose, with their anchors.
public struct TableOfContents: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let level: Int
        public let text: String
        public let anchor: String

        public init(level: Int, text: String, anchor: String) {
            self.level = level
            self.text = text
            self.anchor = anchor
        }
    }

    public let entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }
}

public enum ReportBlock: Sendable {
    /// Prose: the notebook's own Markdown text (inline values filled in) and its HTML rendering.
    case prose(markdown: String, html: String)
    case cell(CellReport)
}

/// What a cell contributes to a report.
public struct CellReport: Sendable {
    /// What the cell's label makes it: numbered tables (`tbl-*`), numbered figures (`fig-*`), or neither.
    public enum Kind: Sendable { case table, figure, plain }

    public let label: String
    public let directive: String
    /// The cell's source between the fences, shown folded in HTML.
    public let source: String
    public let caption: String?
    public let kind: Kind
    /// The table or figure number, counted per kind in notebook order.
    public let number: Int?
    public let outputs: [CellOutput]
    /// The error shown where the cell stood, when it failed.
    public let error: String?
    /// How HTML shows the cell's source (`#| echo` and `#| fold`).
    public let sourceDisplay: SourceDisplay

    public enum SourceDisplay: Sendable { case folded, shown, hidden }

    public init(label: String, directive: String, source: String, caption: String?, kind: Kind, number: Int?,
                outputs: [CellOutput], error: String?, source sourceDisplay: SourceDisplay = .folded) {
        self.label = label
        self.directive = directive
        self.source = source
        self.caption = caption
        self.kind = kind
        self.number = number
        self.outputs = outputs
        self.error = error
        self.sourceDisplay = sourceDisplay
    }

    /// "Table 2" or "Figure 1", or nil for plain cells.
    public var name: String? {
        guard let number else { return nil }
        switch kind {
        case .table: return "Table \(number)"
        case .figure: return "Figure \(number)"
        case .plain: return nil
        }
    }
}

/// One output of a cell.
public enum CellOutput: Sendable, Equatable {
    case table(Table)
    /// A figure as a self-contained SVG document.
    case figure(svg: String)
    case text(String)
    /// A highlighted note (for example: synthetic weights stand in for trained ones).
    case callout(String)
}

/// What every page of a site shows at its top: the site's title linking to its index page, and a link
/// to each page (hrefs relative to the page that shows them), the page itself marked as current.
public struct SiteNavigation: Sendable {
    public struct Page: Sendable {
        public let title: String
        public let href: String
        public let current: Bool

        public init(title: String, href: String, current: Bool) {
            self.title = title
            self.href = href
            self.current = current
        }
    }

    public let title: String
    public let index: String
    public let pages: [Page]

    public init(title: String, index: String, pages: [Page]) {
        self.title = title
        self.index = index
        self.pages = pages
    }
}
