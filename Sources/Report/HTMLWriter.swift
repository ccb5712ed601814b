import Foundation

/// One self-contained HTML file: inline CSS (light and dark), inline SVG, no script and no external
/// address. Prose arrives already rendered (safely) to HTML; every other text is escaped here.
public enum HTMLWriter {
    public static func write(_ document: ReportDocument, navigation: SiteNavigation? = nil) -> String {
        var body = navigation.map(site) ?? ""
        if let title = document.title { body += "<h1 class=\"title\">\(escape(title))</h1>\n" }
        if let author = document.author { body += "<p class=\"author\">\(escape(author))</p>\n" }
        if let date = document.date { body += "<p class=\"date\">\(escape(date))</p>\n" }
        body += contents(document.contents)
        for block in document.blocks {
            switch block {
            case let .prose(_, html): body += html
            case let .cell(cell): body += self.cell(cell)
            }
        }
        return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        \(document.description.map { "<meta name=\"description\" content=\"\(escape($0))\">\n" } ?? "")<title>\(escape(document.pageTitle))</title>
        <style>
        \(style)
        </style>
        </head>
        <body>
        <main>
        \(body)</main>
        </body>
        </html>

        """
    }

    /// The site's navigation: its title, a link to its index, and a link to every page (the current one marked).
    static func site(_ navigation: SiteNavigation) -> String {
        var html = "<nav class=\"site\"><a class=\"site-title\" href=\"\(escape(navigation.index))\">\(escape(navigation.title))</a>\n<ul>\n"
        for page in navigation.pages {
            html += page.current
                ? "<li><a href=\"\(escape(page.href))\" aria-current=\"page\">\(escape(page.title))</a></li>\n"
                : "<li><a href=\"\(escape(page.href))\">\(escape(page.title))</a></li>\n"
        }
        return html + "</ul>\n</nav>\n"
    }

    /// A list of links to the headings, when there are at least two.
    static func contents(_ contents: TableOfContents) -> String {
        guard contents.entries.count >= 2 else { return "" }
        let top = contents.entries.map(\.level).min() ?? 1
        var html = "<nav class=\"contents\"><p>Contents</p>\n<ul>\n"
        for entry in contents.entries {
            html += "<li class=\"level\(entry.level - top + 1)\"><a href=\"#\(escape(entry.anchor))\">\(escape(entry.text))</a></li>\n"
        }
        return html + "</ul>\n</nav>\n"
    }

    static func cell(_ cell: CellReport) -> String {
        var html = "<figure class=\"cell\" id=\"\(escape(cell.label))\">\n"
        let caption = [cell.name.map { "<span class=\"number\">\(escape($0)):</span>" }, cell.caption.map(escape)].compactMap { $0 }.joined(separator: " ")
        if !caption.isEmpty { html += "<figcaption>\(caption)</figcaption>\n" }
        for output in cell.outputs {
            switch output {
            case let .table(table): html += self.table(table)
            case let .figure(svg): html += "<div class=\"figure\">\(inline(svg))</div>\n"
            case let .text(text): html += "<p>\(escape(text))</p>\n"
            case let .callout(note): html += "<aside class=\"callout\">\(escape(note))</aside>\n"
            }
        }
        if let error = cell.error { html += "<aside class=\"error\"><strong>Error</strong> \(escape(error))</aside>\n" }
        switch cell.sourceDisplay {
        case .folded: html += "<details><summary>Source: \(escape(cell.directive))</summary><pre><code>\(escape(cell.source))</code></pre></details>\n"
        case .shown: html += "<pre class=\"source\"><code>\(escape(cell.source))</code></pre>\n"
        case .hidden: break
        }
        return html + "</figure>\n"
    }

    /// An SVG document as an element of the page: without its `xmlns` (the HTML parser puts `<svg>` in
    /// the SVG namespace), so that the page names no address.
    static func inline(_ svg: String) -> String {
        svg.replacingOccurrences(of: " xmlns=\"http://www.w3.org/2000/svg\"", with: "")
    }

    static func table(_ table: Table) -> String {
        func classes(_ column: Int, body: Bool) -> String {
            let names = (table.alignments[column] == .right ? ["right"] : []) + (body && table.measuredColumns.contains(column) ? ["measured"] : [])
            return names.isEmpty ? "" : " class=\"\(names.joined(separator: " "))\""
        }
        var html = "<table>\n<thead><tr>"
        for (column, name) in table.columns.enumerated() { html += "<th\(classes(column, body: false))>\(escape(name))</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            html += "<tr>" + row.enumerated().map { "<td\(classes($0.offset, body: true))>\(escape($0.element))</td>" }.joined() + "</tr>\n"
        }
        return html + "</tbody>\n</table>\n"
    }

    /// Text for HTML element content and attribute values: & < > " ' escaped.
    public static func escape(_ text: String) -> String {
        let special: Set<UInt8> = [UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'")]
        if !text.utf8.contains(where: special.contains) { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    static let style = """
    :root { color-scheme: light dark; --text: #1d1f21; --background: #ffffff; --muted: #5f6368; --rule: #d0d4d9; --accent: #1a5fb4; --error: #b3261e; }
    @media (prefers-color-scheme: dark) { :root { --text: #e6e6e6; --background: #15171a; --muted: #a0a4a8; --rule: #3a3f45; --accent: #78aeed; --error: #f28b82; } }
    body { margin: 0; background: var(--background); color: var(--text); font: 16px/1.6 system-ui, sans-serif; }
    main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
    a { color: var(--accent); }
    pre { overflow-x: auto; padding: 0.75rem; border: 1px solid var(--rule); border-radius: 6px; }
    code { font-family: ui-monospace, monospace; font-size: 0.9em; }
    table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; display: block; width: max-content; max-width: 100%; overflow-x: auto; }
    th, td { border-bottom: 1px solid var(--rule); padding: 0.25rem 0.75rem; text-align: left; }
    th.right, td.right { text-align: right; white-space: nowrap; }
    div.figure svg { max-width: 100%; height: auto; }
    td.measured { font-style: italic; }
    figure.cell { margin: 1.5rem 0; }
    figcaption { color: var(--muted); margin-bottom: 0.25rem; }
    figcaption .number { font-weight: 600; color: var(--text); }
    aside.callout { border-left: 4px solid var(--accent); padding: 0.25rem 0.75rem; margin: 0.5rem 0; }
    aside.error { border-left: 4px solid var(--error); padding: 0.25rem 0.75rem; margin: 0.5rem 0; color: var(--error); }
    details summary { color: var(--muted); cursor: pointer; }
    p.author, p.date { color: var(--muted); margin-top: -0.5rem; }
    nav.site { border-bottom: 1px solid var(--rule); padding-bottom: 0.5rem; margin-bottom: 1.5rem; }
    nav.site a.site-title { font-weight: 600; text-decoration: none; }
    nav.site ul { list-style: none; margin: 0.25rem 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
    nav.site a[aria-current] { color: var(--text); font-weight: 600; text-decoration: none; }
    nav.contents { border: 1px solid var(--rule); border-radius: 6px; padding: 0.5rem 1rem; margin-bottom: 1.5rem; }
    nav.contents p { margin: 0; font-weight: 600; }
    nav.contents ul { list-style: none; margin: 0.25rem 0 0; padding: 0; }
    nav.contents li.level2 { padding-left: 1rem; }
    nav.contents li.level3, nav.contents li.level4, nav.contents li.level5, nav.contents li.level6 { padding-left: 2rem; }
    @media print {
      :root { color-scheme: light; --text: #000000; --background: #ffffff; --muted: #444444; --rule: #999999; --accent: #000000; --error: #000000; }
      body { font-size: 11pt; }
      main { max-width: none; padding: 0; }
      nav.site, nav.contents, details { display: none; }
      table { display: table; width: auto; overflow: visible; }
      pre { white-space: pre-wrap; }
      figure.cell, table, div.figure, pre { break-inside: avoid; }
      h1, h2, h3, h4 { break-after: avoid; }
    }
    """
}
