import Foundation
import Notebook
import Report

/// A folder of notebooks rendered as one site (`fpgm render DIR -o SITE`): every `.md` file under the
/// folder (hidden files and folders, symbolic links and the output folder left out), each report at
/// the notebook's place in the folder, the same navigation on every page, and an index page (the
/// folder's `index.md`, or a generated list of the pages).
///
/// An optional `fpgm.yml` in the folder sets `title` (default: the folder's name), `order` (pages listed
/// first, in this order; the rest follow by path) and `exclude` (shell patterns of paths to leave out,
/// `drafts/*`). Prose links between notebooks become links between their pages; local files that prose
/// links to or shows are copied beside the pages, and only from inside the folder.
struct Site {
    /// One notebook of the site.
    struct Page {
        /// The notebook's path, the folder's path joined with `relative`.
        let path: String
        /// Its place in the folder, with "/" between folders: "sub/lecture.md".
        let relative: String
        /// The notebook, read and parsed with the site, and its title.
        let numbered: NumberedNotebook

        var title: String { numbered.title }

        /// Where its HTML report goes in the site: "sub/lecture.html".
        var html: String { String(relative.dropLast(3)) + ".html" }
        /// The folder of its reports in the site: "sub" ("" at the top).
        var folder: String { relative.split(separator: "/").dropLast().joined(separator: "/") }
    }

    let folder: String
    let title: String
    let pages: [Page]
    /// Every page's numbered tables and figures, by standardized path (for `@lecture.md#tbl-x`).
    let numbered: [String: NumberedNotebook]
    /// The pages the navigation lists (all but `index.md`), and each one's place among them by its
    /// place in the folder; the places of all pages, for links between notebooks.
    private let listed: [Page], listedPosition: [String: Int], notebooks: Set<String>

    static let settingsFile = "fpgm.yml"

    /// The site of `folder`, whose reports go to `output` (left out when it lies inside the folder).
    init(folder: String, output: String) throws(CommandLineError) {
        self.folder = folder
        let settings = try Site.settings(folder)
        title = settings.title ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        let outputPath = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath().path
        var found = [String]()
        try Site.walk(folder, relative: "", skipping: outputPath, into: &found)
        let kept = found.filter { path in !settings.exclude.contains { fnmatch($0, path, 0) == 0 } }
        for listed in settings.order where !kept.contains(listed) {
            throw .notebook("\((folder as NSString).appendingPathComponent(Site.settingsFile)): 'order' names '\(listed)', which is not a notebook of the folder")
        }
        let ordered = settings.order + kept.filter { !settings.order.contains($0) }.sorted()
        let read = try NumberedNotebook.reading(ordered.map { (folder as NSString).appendingPathComponent($0) })
        pages = zip(ordered, read).map { Page(path: $1.notebook.path, relative: $0, numbered: $1) }
        numbered = NumberedNotebook.byKey(read)
        listed = pages.filter { $0.relative != "index.md" }
        listedPosition = Dictionary(uniqueKeysWithValues: listed.enumerated().map { ($0.element.relative, $0.offset) })
        notebooks = Set(pages.map(\.relative))
        guard !pages.isEmpty else { throw .input("\(folder): holds no notebook (.md file)") }
    }

    /// Whether the folder has an `index.md` of its own (otherwise the site's index is generated).
    var hasIndex: Bool { pages.contains { $0.relative == "index.md" } }

    /// At most this many pages are listed in every page's navigation; a larger site lists the page
    /// before and the page after (in the site's order), and its index lists them all.
    static let listedPages = 30

    /// The navigation as `page` shows it (nil: the generated index page).
    func navigation(for page: Page?) -> SiteNavigation {
        let from = page?.folder ?? ""
        var shown = listed
        if listed.count > Site.listedPages {
            let position = page.flatMap { listedPosition[$0.relative] }
            shown = position.map { Array(listed[max(0, $0 - 1)...min(listed.count - 1, $0 + 1)]) } ?? []
        }
        return SiteNavigation(title: title, index: Site.href(to: "index.html", from: from), pages: shown.map {
            SiteNavigation.Page(title: $0.title, href: Site.href(to: $0.html, from: from), current: $0.relative == page?.relative)
        })
    }

    /// The generated index: the site's title and a list of its pages.
    var index: ReportDocument {
        let markdown = pages.map { "- [\($0.title)](\($0.relative))\n" }.joined()
        let html = "<ul class=\"pages\">\n" + pages.map { "<li><a href=\"\(HTMLWriter.escape($0.html))\">\(HTMLWriter.escape($0.title))</a></li>\n" }.joined() + "</ul>\n"
        return ReportDocument(title: title, blocks: [.prose(markdown: markdown, html: html)])
    }

    /// A report's prose with links to the site's notebooks made links to their pages (`.md` -> `.html`),
    /// and the local files its links and images name: those inside the folder (relative to it), and
    /// warnings for those outside.
    func linking(_ document: ReportDocument, of page: Page) -> (document: ReportDocument, files: [String], warnings: [String]) {
        var files = [String](), warnings = [String](), linked = document
        linked.blocks = document.blocks.map { block in
            guard case let .prose(markdown, html) = block else { return block }
            let rewritten = Site.rewritingURLs(in: html) { url in
                guard let target = Site.localTarget(url, from: page.folder) else { return nil }
                guard let relative = target.relative else {
                    warnings.append("\(page.path): the link to '\(url)' leaves the project folder; it is not copied")
                    return nil
                }
                if notebooks.contains(relative) { return Site.href(to: String(relative.dropLast(3)) + ".html", from: page.folder) + target.fragment }
                if !files.contains(relative) { files.append(relative) }
                return nil
            }
            return .prose(markdown: markdown, html: rewritten)
        }
        return (linked, files, warnings)
    }

    /// Copies `relative` (a regular file inside the folder, no symbolic link) to the same place under
    /// `output`; a file that is missing or not a plain file is left alone (its link stays as written).
    func copy(_ relative: String, to output: String) throws(CommandLineError) {
        let source = (folder as NSString).appendingPathComponent(relative)
        var status = stat()
        guard lstat(source, &status) == 0, status.st_mode & S_IFMT == S_IFREG, let data = FileManager.default.contents(atPath: source) else { return }
        let target = URL(fileURLWithPath: output).appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: target, options: .atomic)
        } catch {
            throw .input("\(target.path): cannot be written (\(error.localizedDescription))")
        }
    }

    // MARK: - Reading the folder

    private struct Settings {
        var title: String?
        var order: [String] = []
        var exclude: [String] = []
    }

    private static func settings(_ folder: String) throws(CommandLineError) -> Settings {
        let path = (folder as NSString).appendingPathComponent(settingsFile)
        guard let data = FileManager.default.contents(atPath: path) else { return Settings() }
        func fail(_ line: Int, _ message: String) -> CommandLineError { .notebook("\(path):\(line):1: error: \(message)") }
        guard let text = String(data: data, encoding: .utf8) else { throw .input("\(path): is not valid UTF-8 text") }
        let node: YAMLNode
        do throws(YAMLError) { node = try YAML.parse(text) } catch { throw .notebook("\(path):\(error.line):\(error.column): error: \(error.message)") }
        var settings = Settings()
        if case .null = node.value { return settings }
        guard case let .mapping(entries) = node.value else { throw fail(node.line, "\(settingsFile) must be a mapping (title, order, exclude)") }
        func strings(_ value: YAMLNode, _ key: String) throws(CommandLineError) -> [String] {
            guard case let .sequence(items) = value.value else { throw fail(value.line, "'\(key)' must be a list of paths") }
            return try items.map { item throws(CommandLineError) in
                guard case let .string(text) = item.value else { throw fail(item.line, "'\(key)' must be a list of paths") }
                return text
            }
        }
        for (key, value) in entries {
            switch key {
            case "title":
                guard case let .string(text) = value.value else { throw fail(value.line, "'title' must be text") }
                settings.title = text
            case "order": settings.order = try strings(value, key)
            case "exclude": settings.exclude = try strings(value, key)
            default:
                let hint = Suggestion.nearest(key, among: ["title", "order", "exclude"]).map { "; did you mean '\($0)'?" } ?? ""
                throw fail(value.line, "unknown key '\(key)'\(hint) (known: title, order, exclude)")
            }
        }
        return settings
    }

    /// The notebooks under `folder`/`relative`, by path relative to the folder: `.md` files, not hidden,
    /// not through a symbolic link (so that a link loop or a link out of the folder is never followed),
    /// and not inside the output folder.
    private static func walk(_ folder: String, relative: String, skipping output: String, into found: inout [String]) throws(CommandLineError) {
        let here = relative.isEmpty ? folder : (folder as NSString).appendingPathComponent(relative)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: here) else { throw .input("\(here): cannot be read as a folder") }
        for name in names.sorted() where !name.hasPrefix(".") {
            let child = relative.isEmpty ? name : relative + "/" + name, path = (folder as NSString).appendingPathComponent(child)
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            switch status.st_mode & S_IFMT {
            case S_IFDIR:
                guard URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path != output else { continue }
                try walk(folder, relative: child, skipping: output, into: &found)
            case S_IFREG where name.hasSuffix(".md"):
                found.append(child)
            default: continue
            }
        }
    }

    // MARK: - Links

    /// The href from a page in folder `from` ("" or "a/b") to the site path `target`.
    static func href(to target: String, from: String) -> String {
        String(repeating: "../", count: from.split(separator: "/").count) + target
    }

    /// A local URL of a prose link, resolved against the folder `from`: its path relative to the site's
    /// folder (nil when it climbs out or is absolute) and its fragment ("#tbl-x" or ""); nil for a URL
    /// that is not a local path (a scheme, an anchor alone, empty).
    static func localTarget(_ url: String, from: String) -> (relative: String?, fragment: String)? {
        let fragmentStart = url.firstIndex(where: { $0 == "#" || $0 == "?" }) ?? url.endIndex
        let path = String(url[..<fragmentStart]).removingPercentEncoding ?? String(url[..<fragmentStart])
        let fragment = url[fragmentStart...].hasPrefix("#") ? String(url[fragmentStart...]) : ""
        if path.isEmpty { return nil }
        if let colon = path.firstIndex(of: ":"), !path[..<colon].contains("/") { return nil }  // a scheme: https:, mailto:
        if path.hasPrefix("/") { return (nil, fragment) }
        var parts = from.split(separator: "/").map(String.init)
        for part in path.split(separator: "/") {
            switch part {
            case ".": continue
            case "..":
                if parts.isEmpty { return (nil, fragment) }
                parts.removeLast()
            default: parts.append(String(part))
            }
        }
        return (parts.joined(separator: "/"), fragment)
    }

    /// `html` with the value of every `href="..."` and `src="..."` attribute passed to `rewrite`, and
    /// replaced by what it returns (kept when it returns nil). Values are HTML-escaped, as cmark writes them.
    static func rewritingURLs(in html: String, _ rewrite: (String) -> String?) -> String {
        var out = "", rest = Substring(html)
        while let attribute = [" href=\"", " src=\""].compactMap({ rest.range(of: $0) }).min(by: { $0.lowerBound < $1.lowerBound }),
              let close = rest[attribute.upperBound...].firstIndex(of: "\"") {
            out += rest[..<attribute.upperBound]
            let value = String(rest[attribute.upperBound..<close])
            let unescaped = value.replacingOccurrences(of: "&amp;", with: "&")
            out += rewrite(unescaped).map(HTMLWriter.escape) ?? value
            rest = rest[close...]
        }
        return out + rest
    }
}

/// A notebook read once for a render: the parsed notebook, its title and its numbered tables and
/// figures (for the site's navigation and for references from other notebooks, `@lecture.md#tbl-x`).
struct NumberedNotebook: Sendable {
    let notebook: Notebook
    /// The front matter's title, else the first level-1 heading, else the file's name.
    let title: String
    /// Label to "Table 2" / "Figure 1".
    let names: [String: String]

    /// How notebooks rendered together are found by path.
    static func key(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// The notebooks at `paths`, in order, each read and parsed once.
    static func reading(_ paths: [String]) throws(CommandLineError) -> [NumberedNotebook] {
        try paths.map { path throws(CommandLineError) in try NumberedNotebook(path) }
    }

    /// `notebooks` by `key`, as `references` finds them.
    static func byKey(_ notebooks: [NumberedNotebook]) -> [String: NumberedNotebook] {
        Dictionary(notebooks.map { (key($0.notebook.path), $0) }, uniquingKeysWith: { first, _ in first })
    }

    init(_ path: String) throws(CommandLineError) {
        let notebook = try RenderCommand.read(path)
        self.notebook = notebook
        names = Runner.numbering(notebook).names
        if case let .string(title)? = notebook.frontMatter["title"]?.value { self.title = title; return }
        for case let .prose(lines) in notebook.blocks {
            if let heading = notebook.lines[(lines.lowerBound - 1)...(lines.upperBound - 1)].first(where: { $0.hasPrefix("# ") }) {
                self.title = heading.dropFirst(2).trimmingCharacters(in: .whitespaces)
                return
            }
        }
        title = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    }

    /// What `@path.md#label` in a notebook at `notebookPath` names among `notebooks` (by standardized
    /// path): "Table 1 of Lecture 1" and the link as written; only notebooks rendered together are found.
    static func references(among notebooks: [String: NumberedNotebook], from notebookPath: String) -> @Sendable (String) -> (name: String, href: String)? {
        let folder = URL(fileURLWithPath: notebookPath).deletingLastPathComponent()
        return { reference in
            guard let hash = reference.firstIndex(of: "#") else { return nil }
            let path = key(folder.appendingPathComponent(String(reference[..<hash])).path)
            guard let notebook = notebooks[path], let name = notebook.names[String(reference[reference.index(after: hash)...])] else { return nil }
            return ("\(name) of \(notebook.title)", reference)
        }
    }
}
