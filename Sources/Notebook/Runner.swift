import Foundation
import Report

/// A directive: the name and arguments a cell may use, and what running it produces.
public protocol Directive: Sendable {
    var spec: DirectiveSpec { get }
    /// Runs the cell with its checked arguments; a thrown error fails the cell with its description.
    func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult
}

/// What a cell can see: input files next to the notebook and the values earlier cells exported. What
/// it reads is recorded, so that the cache re-runs the cell when those change.
public final class CellContext: @unchecked Sendable {
    public let notebookFolder: URL
    private let exported: [String: [String: String]]
    /// Labels of earlier cells whose values this cell read.
    private(set) var readLabels: Set<String> = []
    /// Input files this cell read, as named.
    private(set) var inputs: [String] = []

    init(notebookFolder: URL, exported: [String: [String: String]]) {
        self.notebookFolder = notebookFolder
        self.exported = exported
    }

    /// The values an earlier cell exported, by key; reading them makes this cell depend on that one.
    public func values(of label: String) -> [String: String]? {
        readLabels.insert(label)
        return exported[label]
    }

    /// The path of an input file named relative to the notebook (or absolute); this cell's cache entry
    /// then depends on the file's contents. Fails, naming the file as the notebook does, when it does
    /// not exist.
    public func input(_ path: String) throws(MissingInput) -> String {
        let resolved = CellContext.resolve(path, in: notebookFolder)
        guard FileManager.default.fileExists(atPath: resolved) else { throw MissingInput(path: path) }
        if !inputs.contains(path) { inputs.append(path) }
        return resolved
    }

    static func resolve(_ path: String, in folder: URL) -> String {
        path.hasPrefix("/") ? path : folder.appendingPathComponent(path).path
    }
}

/// An input file a cell names that does not exist.
public struct MissingInput: Error, Equatable, CustomStringConvertible {
    public let path: String
    public var description: String { "the input file '\(path)' does not exist (paths are relative to the notebook)" }
}

/// What running a cell gives: outputs for the report and named values (for `{{label.key}}`, later cells
/// and the JSON report).
public struct CellResult: Sendable {
    public let outputs: [CellOutput]
    public let values: [(key: String, value: ExportedValue)]

    public init(outputs: [CellOutput], values: [(key: String, value: ExportedValue)] = []) {
        self.outputs = outputs
        self.values = values
    }

    /// The values as prose shows them, by key.
    var texts: [String: String] { Dictionary(values.map { ($0.key, $0.value.text) }, uniquingKeysWith: { _, last in last }) }

    /// The tables among the outputs.
    var tables: [Table] { outputs.compactMap { if case let .table(table) = $0 { table } else { nil } } }
}

/// A cell's run, for the JSON report and the terminal.
public struct CellRecord: Sendable {
    public enum Status: String, Sendable { case ok, cached, error, skipped }

    public let label: String
    public let directive: String
    public let line: Int
    /// The checked arguments.
    public let arguments: [String: ArgumentValue]
    public let values: [(key: String, value: ExportedValue)]
    /// The exported values as one JSON object, in order (for the JSON report and the Jupyter notebook).
    public var valuesJSON: JSONValue { .object(values.map { ($0.key, $0.value.json) }) }
    /// The tables the cell showed (none when it failed or was skipped).
    public let tables: [Table]
    public let status: Status
    public let seconds: Double
    public let diagnostics: [String]
}

/// What `@` references in prose name: this notebook's numbered cells (`@tbl-x`: label to "Table 2"),
/// and through `other` another notebook's (`@lecture.md#tbl-x`, a path relative to the notebook: to
/// its name, "Table 1 of Lecture 1", and the link, "lecture.md#tbl-x"; nil for no such table or figure).
public struct References: Sendable {
    public let numbers: [String: String]
    public let other: @Sendable (String) -> (name: String, href: String)?

    public init(numbers: [String: String], other: @escaping @Sendable (String) -> (name: String, href: String)? = { _ in nil }) {
        self.numbers = numbers
        self.other = other
    }
}

/// A cell's progress: it starts running (a cell that runs for long shows this line meanwhile), or it is
/// done (its time, "(cached)" or "failed").
public enum CellProgress: Sendable, Equatable {
    case running(String)
    case done(String)
}

/// The result of rendering one notebook.
public struct RenderOutcome: Sendable {
    /// The report (a site rewrites its links between notebooks).
    public var document: ReportDocument
    public let records: [CellRecord]
    /// Diagnostics of failed cells and of prose references, in notebook order.
    public let diagnostics: [Diagnostic]
    /// Whether a cell failed (without `#| allow-error: true`).
    public var failed: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Runs a notebook's cells in order and assembles its report.
///
/// Before any cell runs, every cell is checked: its directive must exist, its `${param}`s must be
/// defined, and its arguments must parse and fit the directive's spec; the first problem is thrown.
/// Then cells run in order. A failing cell stops the run (later cells are skipped) unless
/// `keepGoing` is set or the cell has `#| allow-error: true`; the report still shows the error where
/// the cell stood.
public struct Runner: Sendable {
    public let directives: [String: any Directive]
    /// Part of every cache key: results of another engine version are never reused.
    public let engineVersion: String

    public init(directives: [any Directive], engineVersion: String) {
        self.directives = Dictionary(uniqueKeysWithValues: directives.map { ($0.spec.name, $0) })
        self.engineVersion = engineVersion
    }

    /// `otherNotebooks` resolves `@other.md#tbl-x` references (by default, none resolve).
    public func render(_ written: Notebook, parameters: Parameters, keepGoing: Bool = false, useCache: Bool = true,
                       otherNotebooks: @escaping @Sendable (String) -> (name: String, href: String)? = { _ in nil },
                       progress: ((CellProgress) -> Void)? = nil) throws(Diagnostic) -> RenderOutcome {
        var notebook = written, optionUses = [String]()
        notebook.cells = try written.cells.map { cell throws(Diagnostic) in
            let (filled, used) = try cell.withParameters(parameters, file: written.path, lines: written.lines)
            optionUses += used
            return filled
        }
        let checked = try check(notebook, parameters: parameters)
        let references = References(numbers: Runner.numbering(notebook).names, other: otherNotebooks)
        let proseUses = try Runner.checkReferences(notebook, parameters: parameters, references: references)
        let folder = URL(fileURLWithPath: notebook.path).deletingLastPathComponent()
        let cache = CellCache(notebookPath: notebook.path)
        var values = [String: [String: String]](), cellKeys = [String: String](), records = [CellRecord]()
        var diagnostics = Runner.frontMatterWarnings(notebook) + parameters.warnings(used: Set(checked.flatMap(\.parameters) + optionUses + proseUses),
                                                                                    notebook: notebook.path)
        var results = [Int: (result: CellResult?, error: String?)]()
        var stopped = false
        for (position, cell) in notebook.cells.enumerated() {
            let (arguments, used) = checked[position]
            guard !stopped else {
                records.append(CellRecord(label: cell.label, directive: cell.directive, line: cell.line, arguments: arguments,
                                          values: [], tables: [], status: .skipped, seconds: 0, diagnostics: []))
                continue
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let key = CellCache.key(engine: engineVersion, directive: cell.directive, arguments: arguments,
                                    parameters: used.compactMap { name in parameters[name].map { (name, $0) } })
            if useCache, let entry = cache.valid(label: cell.label, key: key, cellKeys: cellKeys, folder: folder) {
                let result = CellResult(outputs: entry.outputs, values: entry.values)
                values[cell.label] = result.texts
                cellKeys[cell.label] = entry.cellKey
                results[position] = (result, nil)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                records.append(CellRecord(label: cell.label, directive: cell.directive, line: cell.line, arguments: arguments,
                                          values: result.values, tables: result.tables, status: .cached, seconds: seconds, diagnostics: []))
                progress?(.done("[\(position + 1)/\(notebook.cells.count)] \(cell.label) (\(cell.directive)) (cached)"))
                continue
            }
            let context = CellContext(notebookFolder: folder, exported: values)
            progress?(.running("[\(position + 1)/\(notebook.cells.count)] \(cell.label) (\(cell.directive)) running"))
            do {
                let result = try directives[cell.directive]!.run(arguments, context: context)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                values[cell.label] = result.texts
                var inputs = [String: String](), stamps = [String: String]()
                for path in context.inputs {
                    let fingerprint = CellCache.fingerprint(of: CellContext.resolve(path, in: folder))
                    inputs[path] = fingerprint.digest ?? "unreadable"
                    stamps[path] = fingerprint.stamp
                }
                let entry = CellCache.Entry(key: key, inputs: inputs, stamps: stamps,
                                            dependencies: Dictionary(uniqueKeysWithValues: context.readLabels.compactMap { label in cellKeys[label].map { (label, $0) } }),
                                            values: result.values, outputs: result.outputs)
                cellKeys[cell.label] = entry.cellKey
                if useCache { cache.store(entry, label: cell.label) }
                results[position] = (result, nil)
                records.append(CellRecord(label: cell.label, directive: cell.directive, line: cell.line, arguments: arguments,
                                          values: result.values, tables: result.tables, status: .ok, seconds: seconds, diagnostics: []))
                progress?(.done("[\(position + 1)/\(notebook.cells.count)] \(cell.label) (\(cell.directive)) \(String(format: "%.1fs", seconds))"))
            } catch {
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let allowed = cell.flag("allow-error", default: false)
                let diagnostic = Diagnostic(allowed ? .warning : .error, file: notebook.path, line: cell.line, column: cell.column, label: cell.label,
                                            directive: cell.directive, message: "\(error)")
                diagnostics.append(diagnostic)
                results[position] = (nil, "\(error)")
                records.append(CellRecord(label: cell.label, directive: cell.directive, line: cell.line, arguments: arguments,
                                          values: [], tables: [], status: .error, seconds: seconds, diagnostics: [diagnostic.description]))
                progress?(.done("[\(position + 1)/\(notebook.cells.count)] \(cell.label) (\(cell.directive)) failed"))
                if !allowed && !keepGoing { stopped = true }
            }
        }
        let document = try assemble(notebook, results: results, values: values, parameters: parameters, references: references,
                                    diagnostics: &diagnostics)
        return RenderOutcome(document: document, records: records, diagnostics: diagnostics)
    }

    /// The front-matter keys a notebook may use.
    public static let frontMatterKeys = ["author", "cache", "date", "description", "output", "params", "title"]

    /// A warning for each front-matter key that is not one of `frontMatterKeys`, with the nearest known key.
    static func frontMatterWarnings(_ notebook: Notebook) -> [Diagnostic] {
        guard case let .mapping(entries) = notebook.frontMatter.value else { return [] }
        return entries.filter { !frontMatterKeys.contains($0.key) }.map { key, value in
            let hint = Suggestion.nearest(key, among: frontMatterKeys).map { "; did you mean '\($0)'?" } ?? ""
            return Diagnostic(.warning, file: notebook.path, line: value.line, column: value.keyColumn,
                              message: "front matter: unknown key '\(key)'\(hint) (known: \(frontMatterKeys.joined(separator: ", ")))")
        }
    }

    /// Every cell's arguments, checked before anything runs, and the parameters each used.
    func check(_ notebook: Notebook, parameters: Parameters) throws(Diagnostic) -> [(arguments: [String: ArgumentValue], parameters: [String])] {
        try notebook.cells.map { cell throws(Diagnostic) in
            guard let directive = directives[cell.directive] else {
                let known = directives.keys.sorted()
                let hint = Suggestion.nearest(cell.directive, among: known).map { "; did you mean '\($0)'?" } ?? ""
                throw Diagnostic(file: notebook.path, line: cell.line, column: cell.column, label: cell.label, directive: cell.directive.isEmpty ? nil : cell.directive,
                                 message: "unknown directive '\(cell.directive)'\(hint) (known: \(known.joined(separator: ", ")))")
            }
            let (text, used) = try parameters.substitute(in: cell.arguments, firstLine: cell.argumentsLine, file: notebook.path,
                                                         label: cell.label, directive: cell.directive)
            let node: YAMLNode
            do throws(YAMLError) { node = try YAML.parse(String(repeating: "\n", count: cell.argumentsLine - 1) + text) } catch {
                throw Diagnostic(file: notebook.path, line: error.line, column: error.column, label: cell.label, directive: cell.directive,
                                 message: "arguments: \(error.message)")
            }
            return (try directive.spec.check(node, cell: cell, file: notebook.path), used)
        }
    }

    /// The report: prose with `{{label.key}}` values and `@tbl-x` / `@fig-x` references filled in, and
    /// each cell's outputs or error where it stood.
    /// Tables (`tbl-*`) and figures (`fig-*`) numbered in notebook order: each cell's kind and number,
    /// and "Table 2" / "Figure 1" by label.
    public static func numbering(_ notebook: Notebook) -> (kinds: [Int: (CellReport.Kind, Int?)], names: [String: String]) {
        var names = [String: String](), tables = 0, figures = 0
        var kinds = [Int: (CellReport.Kind, Int?)]()
        for cell in notebook.cells {
            if cell.label.hasPrefix("tbl-") { tables += 1; names[cell.label] = "Table \(tables)"; kinds[cell.index] = (.table, tables) }
            else if cell.label.hasPrefix("fig-") { figures += 1; names[cell.label] = "Figure \(figures)"; kinds[cell.index] = (.figure, figures) }
            else { kinds[cell.index] = (.plain, nil) }
        }
        return (kinds, names)
    }

    /// Every `@tbl-x` / `@fig-x` in prose must name a numbered cell and every parameter it names must be
    /// defined: checked before any cell runs. Returns the parameters the prose uses.
    static func checkReferences(_ notebook: Notebook, parameters: Parameters, references: References) throws(Diagnostic) -> [String] {
        var used = [String]()
        for case let .prose(lines) in notebook.blocks {
            let text = notebook.lines[(lines.lowerBound - 1)...(lines.upperBound - 1)].joined(separator: "\n")
            used += try Prose.checkReferences(text, firstLine: lines.lowerBound, file: notebook.path, parameters: parameters, references: references)
        }
        return used
    }

    func assemble(_ notebook: Notebook, results: [Int: (result: CellResult?, error: String?)], values: [String: [String: String]], parameters: Parameters,
                  references: References,
                  diagnostics: inout [Diagnostic]) throws(Diagnostic) -> ReportDocument {
        let kinds = Runner.numbering(notebook).kinds
        var blocks = [ReportBlock](), headings = Headings()
        var prose = [Int: String]()
        for case let .prose(lines) in notebook.blocks {
            let text = notebook.lines[(lines.lowerBound - 1)...(lines.upperBound - 1)].joined(separator: "\n") + "\n"
            var used = [String]()  // counted by `checkReferences`
            prose[lines.lowerBound] = try Prose.fill(text, firstLine: lines.lowerBound, file: notebook.path, values: values, parameters: parameters,
                                                     references: references, used: &used, diagnostics: &diagnostics)
        }
        var footnotes = Footnotes(prose.sorted { $0.key < $1.key }.map { (text: $0.value, firstLine: $0.key) })
        /// Prose Markdown as HTML: math protected from cmark and put back as MathML; in the document's own
        /// prose (not a footnote's) footnote references linked and headings anchored.
        func html(_ markdown: String, firstLine: Int, ownProse: Bool) -> String {
            var math = MathSpans()
            let rendered = CommonMark.html(math.protect(ownProse ? footnotes.protect(markdown) : markdown))
            let anchored = ownProse ? headings.anchoring(rendered.html, headings: rendered.headings) : rendered.html
            let html = math.restore(anchored, firstLine: firstLine, file: notebook.path, warnings: &diagnostics)
            return ownProse ? footnotes.restore(html) : html
        }
        for block in notebook.blocks {
            switch block {
            case let .prose(lines):
                let markdown = prose[lines.lowerBound]!
                blocks.append(.prose(markdown: markdown, html: html(markdown, firstLine: lines.lowerBound, ownProse: true)))
            case let .cell(index):
                let cell = notebook.cells[index]
                let outcome = results[index]
                let (kind, number) = kinds[index]!
                let caption: String? = if case let .string(text)? = cell.options["caption"]?.value { text } else { nil }
                blocks.append(.cell(CellReport(label: cell.label, directive: cell.directive, source: cell.source, caption: caption,
                                               kind: kind, number: number, outputs: outcome?.result?.outputs ?? [], error: outcome?.error,
                                               source: cell.flag("echo", default: true) ? (cell.flag("fold", default: true) ? .folded : .shown) : .hidden)))
            }
        }
        let referred = footnotes
        if let section = referred.section(render: { html($0.markdown, firstLine: $0.line, ownProse: false) }) {
            blocks.append(.prose(markdown: "", html: section))
        }
        func text(_ key: String) -> String? {
            switch notebook.frontMatter[key]?.value {
            case let .string(text)?: text
            case let .int(number)?: String(number)
            case let .double(number)?: String(number)
            default: nil
            }
        }
        var author = text("author")
        if case let .sequence(names)? = notebook.frontMatter["author"]?.value {
            author = names.compactMap { if case let .string(name) = $0.value { name } else { nil } }.joined(separator: ", ")
        }
        return ReportDocument(title: text("title"), author: author, date: text("date"), description: text("description"), blocks: blocks,
                              contents: TableOfContents(entries: headings.entries))
    }
}

/// Inline values and cross-references in prose. Neither applies inside code (`CodeRegions`), and
/// `\{{` is written as it stands (Markdown's escape: it shows `{{`).
enum Prose {
    /// `{{label.key}}` replaced by the exported value, `{{params.name}}` by the parameter's value as plain
    /// text, `@tbl-x` / `@fig-x` by a link "[Table 2](#tbl-x)"; `${name}` inside `{{...}}` is replaced
    /// first (`{{tbl-flops.resnet56_${rate}_reduction}}`). A value no cell exported (its cell failed, or
    /// the name is wrong) stays as written, with an error in `diagnostics`; an unknown label or parameter
    /// is an error (found before any cell ran). `used`: the parameters the text used.
    static func fill(_ text: String, firstLine: Int, file: String, values: [String: [String: String]], parameters: Parameters,
                     references: References, used: inout [String], diagnostics: inout [Diagnostic]) throws(Diagnostic) -> String {
        try substitute(text, firstLine: firstLine, value: { content, line, column throws(Diagnostic) in
            var reference = content.trimmingCharacters(in: .whitespaces)
            if reference.contains("${") {
                // Placed at its column (after the "{{"), so that a diagnostic names the notebook's column.
                let (filled, names) = try parameters.substitute(in: String(repeating: " ", count: column + 1) + content, firstLine: line, file: file,
                                                                writing: Parameters.plainText)
                reference = filled.trimmingCharacters(in: .whitespaces)
                used += names
            }
            if reference.hasPrefix("params.") {
                let name = String(reference.dropFirst("params.".count))
                guard let value = parameters[name] else {
                    let known = parameters.values.map(\.name)
                    throw Diagnostic(file: file, line: line, column: column, message: "'{{\(reference)}}' names no parameter"
                                     + (known.isEmpty ? " (no parameters are defined)" : " (defined: \(known.joined(separator: ", ")))"))
                }
                used.append(name)
                return Parameters.plainText(value)
            }
            let parts = reference.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = values[parts[0]]?[parts[1]] else {
                let exported = values[parts.first ?? ""].map { " (\(parts[0]) exports: \($0.keys.sorted().joined(separator: ", ")))" } ?? ""
                diagnostics.append(Diagnostic(file: file, line: line, column: column, message: "'{{\(reference)}}' names no value a cell exported" + exported))
                return "{{" + content + "}}"
            }
            return value
        }, reference: { label, line, column throws(Diagnostic) in
            if label.contains("#") {
                guard let (name, href) = references.other(label) else {
                    throw Diagnostic(file: file, line: line, column: column,
                                     message: "'@\(label)' refers to no table or figure of a notebook rendered with this one")
                }
                return "[\(name)](\(href))"
            }
            guard let name = references.numbers[label] else {
                throw Diagnostic(file: file, line: line, column: column, message: "'@\(label)' refers to no table or figure of this notebook")
            }
            return "[\(name)](#\(label))"
        })
    }

    /// Checks, before any cell runs, that every `@tbl-x` / `@fig-x` of `text` (prose starting at line
    /// `firstLine`) names a numbered cell and every parameter it names is defined; returns the
    /// parameters it uses.
    static func checkReferences(_ text: String, firstLine: Int, file: String, parameters: Parameters,
                                references: References) throws(Diagnostic) -> [String] {
        var ignored = [Diagnostic](), used = [String]()
        _ = try fill(text, firstLine: firstLine, file: file, values: [:], parameters: parameters, references: references, used: &used, diagnostics: &ignored)
        return used
    }

    /// The end of `path.md#tbl-x` or `path.md#fig-x` starting at `start` (path characters: letters,
    /// digits, `_`, `-`, `.`, `/`), or nil when none starts there.
    static func otherNotebookReference(_ characters: [Character], at start: Int) -> Int? {
        var end = start
        while end < characters.count, characters[end].isLetter || characters[end].isNumber || "_-./".contains(characters[end]) { end += 1 }
        guard end > start + 3, String(characters[(end - 3)..<end]) == ".md", end + 5 < characters.count, characters[end] == "#" else { return nil }
        let kind = String(characters[(end + 1)..<(end + 5)])
        guard kind == "tbl-" || kind == "fig-" else { return nil }
        var labelEnd = end + 5
        while labelEnd < characters.count, characters[labelEnd].isLetter || characters[labelEnd].isNumber || characters[labelEnd] == "_" || characters[labelEnd] == "-" { labelEnd += 1 }
        while labelEnd > end + 5, characters[labelEnd - 1] == "-" { labelEnd -= 1 }
        return labelEnd > end + 5 ? labelEnd : nil
    }

    /// `text` with each `{{content}}` (closed on its line) replaced by value(content, line, column) and
    /// each `@tbl-x` / `@fig-x` (not preceded by a letter or digit) by reference(label, line, column),
    /// outside code; line and column in the notebook.
    static func substitute(_ text: String, firstLine: Int, value: (String, Int, Int) throws(Diagnostic) -> String,
                           reference: (String, Int, Int) throws(Diagnostic) -> String) throws(Diagnostic) -> String {
        let characters = Array(text), code = CodeRegions(characters)
        var output = "", index = 0, line = firstLine, lineStart = 0
        func starts(_ prefix: String, at position: Int) -> Bool {
            position + prefix.count <= characters.count && String(characters[position..<(position + prefix.count)]) == prefix
        }
        while index < characters.count {
            if let end = code.end(ofCodeAt: index) {
                for position in index..<end where characters[position].isNewline { line += 1; lineStart = position + 1 }
                output += String(characters[index..<end])
                index = end
                continue
            }
            let character = characters[index], column = index - lineStart + 1
            if character == "\\", starts("{{", at: index + 1) {
                output += "\\{{"
                index += 3
                continue
            }
            if starts("{{", at: index),
               let close = (index + 2..<characters.count).first(where: { characters[$0].isNewline || starts("}}", at: $0) }),
               !characters[close].isNewline {
                output += try value(String(characters[(index + 2)..<close]), line, column)
                index = close + 2
                continue
            }
            if character == "@", index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber),
               let end = Prose.otherNotebookReference(characters, at: index + 1) {
                output += try reference(String(characters[(index + 1)..<end]), line, column)
                index = end
                continue
            }
            if character == "@", index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber),
               starts("tbl-", at: index + 1) || starts("fig-", at: index + 1) {
                var end = index + 5
                while end < characters.count, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" || characters[end] == "-" { end += 1 }
                while end > index + 5, characters[end - 1] == "-" { end -= 1 }
                output += try reference(String(characters[(index + 1)..<end]), line, column)
                index = end
                continue
            }
            if character.isNewline { line += 1; lineStart = index + 1 }
            output.append(character)
            index += 1
        }
        return output
    }
}
