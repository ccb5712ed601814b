/// A parsed notebook: its front matter, and the text after it as prose blocks and cells in order.
///
/// The front matter (a YAML block between `---` lines at the very top) is replaced by blank lines
/// before cmark sees the text, so every line number stays the notebook's own. Cells are the fenced
/// code blocks at the top level whose info string starts with `fpgm`; any other block is prose.
public struct Notebook: Sendable {
    /// A stretch of the notebook outside cells, by 1-based line range (copied byte for byte to Markdown).
    public enum Block: Sendable, Equatable {
        case prose(lines: ClosedRange<Int>)
        case cell(index: Int)
    }

    /// The path as the user named it (reports never show absolute paths they did not write).
    public let path: String
    /// The notebook's lines, without their line breaks.
    public let lines: [String]
    /// The front matter, or an empty mapping.
    public let frontMatter: YAMLNode
    /// The cells in order (the runner replaces them by copies whose options have their parameters filled in).
    public internal(set) var cells: [Cell]
    public let blocks: [Block]

    /// Parses `text`, the contents of the notebook at `path`; fails with a diagnostic at the place of the
    /// first syntax error (front matter, unclosed fence, `#|` options, labels).
    public init(path: String, text: String) throws(Diagnostic) {
        self.path = path
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0.hasSuffix("\r") ? $0.dropLast() : $0) }
        if lines.last == "" { lines.removeLast() }
        self.lines = lines
        var body = lines
        var frontMatter = YAMLNode(.mapping([]), line: 1)
        var proseStart = 1
        if lines.first == "---" {
            guard let end = lines.indices.dropFirst().first(where: { lines[$0] == "---" || lines[$0] == "..." }) else {
                throw Diagnostic(file: path, line: 1, message: "the front matter opened on line 1 is never closed with '---'")
            }
            let yaml = ([String](repeating: "", count: 1) + lines[1..<end]).joined(separator: "\n")
            do { frontMatter = try YAML.parse(yaml) } catch {
                throw Diagnostic(file: path, line: error.line, column: error.column, message: "front matter: \(error.message)")
            }
            if case .null = frontMatter.value { frontMatter = YAMLNode(.mapping([]), line: 1) }
            guard case .mapping = frontMatter.value else { throw Diagnostic(file: path, line: frontMatter.line, column: frontMatter.column, message: "front matter must be a mapping of keys to values") }
            for index in 0...end { body[index] = "" }
            proseStart = end + 2
        }
        self.frontMatter = frontMatter
        var cells = [Cell](), blocks = [Block](), labels = [String: Int]()
        for fenced in CommonMark.fencedBlocks(in: body) {
            let words = fenced.info.split(separator: " ", omittingEmptySubsequences: true)
            guard words.first == "fpgm" else { continue }
            guard fenced.endLine > fenced.startLine, fenced.endLine <= body.count, CommonMark.isFence(body[fenced.endLine - 1]) else {
                throw Diagnostic(file: path, line: fenced.startLine, column: fenced.startColumn, message: "the fpgm cell opened here is never closed (a fence of ``` is missing)")
            }
            let cell = try Cell(index: cells.count, directive: words.dropFirst().first.map(String.init) ?? "",
                                source: fenced.literal, line: fenced.startLine, column: fenced.startColumn, file: path)
            if let first = labels[cell.label] {
                throw Diagnostic(file: path, line: cell.line, column: cell.column, label: cell.label, message: "the label '\(cell.label)' is already used by the cell on line \(first)")
            }
            labels[cell.label] = cell.line
            if proseStart < fenced.startLine { blocks.append(.prose(lines: proseStart...(fenced.startLine - 1))) }
            blocks.append(.cell(index: cells.count))
            cells.append(cell)
            proseStart = fenced.endLine + 1
        }
        if proseStart <= lines.count { blocks.append(.prose(lines: proseStart...lines.count)) }
        self.cells = cells
        self.blocks = blocks
    }
}

/// One `fpgm` cell: its directive, its `#|` options, and its arguments (YAML, not yet substituted).
public struct Cell: Sendable, Equatable {
    /// 0-based position among the notebook's cells.
    public let index: Int
    /// The first word after `fpgm` (for ```` ```fpgm flops ```` it is `flops`).
    public let directive: String
    /// The `label` option, or `cell-N` (N counting cells from 1).
    public let label: String
    /// The `#| key: value` options, in order.
    public private(set) var options: YAMLNode
    /// The lines after the options: the directive's arguments.
    public let arguments: String
    /// The whole content between the fences.
    public let source: String
    /// 1-based line of the opening fence, and of the first argument line.
    public let line: Int
    public let argumentsLine: Int
    /// 1-based column of the opening fence, as cmark reports it.
    public let column: Int

    /// The `#|` options a cell may set: `label` and `caption`; `echo` (show the cell's source, default
    /// true) and `fold` (fold the source away, default true) in HTML; `allow-error` (a failure does not
    /// stop the run or fail it).
    static let optionKinds: [String: ArgumentKind] = ["label": .string, "caption": .string, "echo": .bool, "fold": .bool, "allow-error": .bool]

    /// A boolean option's value, or `fallback` when it is not set.
    public func flag(_ name: String, default fallback: Bool) -> Bool {
        if case let .bool(value)? = options[name]?.value { return value }
        return fallback
    }

    /// A label names files and anchors, so it is limited to letters, digits, `_` and `-`.
    public static func isValidLabel(_ label: String) -> Bool {
        !label.isEmpty && label.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-") }
    }

    init(index: Int, directive: String, source: String, line: Int, column: Int, file: String) throws(Diagnostic) {
        self.index = index
        self.directive = directive
        self.source = source
        self.line = line
        self.column = column
        let sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let optionCount = sourceLines.prefix { $0.hasPrefix(Cell.optionMarker) }.count
        let optionText = ([String](repeating: "", count: line) + sourceLines.prefix(optionCount).map { String($0.dropFirst(Cell.optionMarker.count)) })
            .joined(separator: "\n")
        var options = YAMLNode(.mapping([]), line: line + 1)
        if optionCount > 0 {
            do { options = try YAML.parse(optionText) } catch {
                throw Diagnostic(file: file, line: error.line, column: Cell.lineColumn(error.column), directive: directive, message: "cell options: \(error.message)")
            }
            guard case .mapping = options.value else {
                throw Diagnostic(file: file, line: line + 1, directive: directive, message: "cell options must be '#| key: value' lines")
            }
        }
        self.options = options
        if case let .mapping(entries) = options.value {
            for (key, value) in entries {
                guard let kind = Cell.optionKinds[key] else {
                    let known = Cell.optionKinds.keys.sorted()
                    let hint = Suggestion.nearest(key, among: known).map { "; did you mean '\($0)'?" } ?? ""
                    throw Diagnostic(file: file, line: value.line, column: Cell.lineColumn(value.keyColumn), directive: directive,
                                     message: "unknown cell option '\(key)'\(hint) (known: \(known.joined(separator: ", ")))")
                }
                // One that names a parameter is checked when the parameters are known (`withParameters`).
                guard key != "label" && Cell.namesParameter(value) || DirectiveSpec.convert(value.value, to: kind) != nil else {
                    throw Cell.wrongKind(key, kind, at: value, file: file, directive: directive)
                }
            }
        }
        if let node = options["label"] {
            guard case let .string(label) = node.value, Cell.isValidLabel(label) else {
                throw Diagnostic(file: file, line: node.line, column: Cell.lineColumn(node.keyColumn), directive: directive,
                                 message: "a label may hold only letters, digits, '_' and '-'")
            }
            guard label != "params" else {
                throw Diagnostic(file: file, line: node.line, column: Cell.lineColumn(node.keyColumn), directive: directive,
                                 message: "the label 'params' is reserved: {{params.name}} in prose names a parameter")
            }
            self.label = label
        } else {
            self.label = "cell-\(index + 1)"
        }
        arguments = sourceLines.dropFirst(optionCount).joined(separator: "\n")
        argumentsLine = line + 1 + optionCount
    }

    /// What starts a cell-option line.
    static let optionMarker = "#|"

    /// The column in the notebook's line of column `column` of the option text (the line after its marker).
    static func lineColumn(_ column: Int) -> Int { column + optionMarker.count }

    private static func namesParameter(_ node: YAMLNode) -> Bool {
        if case let .string(text) = node.value { text.contains("${") } else { false }
    }

    private static func wrongKind(_ key: String, _ kind: ArgumentKind, at node: YAMLNode, file: String, label: String? = nil, directive: String,
                                  given: String = "") -> Diagnostic {
        Diagnostic(file: file, line: node.line, column: lineColumn(node.keyColumn), label: label, directive: directive,
                   message: "cell option '\(key)' must be \(kind.name)\(given)")
    }

    /// This cell with `${name}` in its options replaced by parameter values, and the parameters used: a
    /// caption takes a value as plain text (a string unquoted), any other option takes it as YAML and is
    /// then checked for its kind (`#| echo: ${show_code}`). `lines` are the notebook's, for columns.
    func withParameters(_ parameters: Parameters, file: String, lines: [String]) throws(Diagnostic) -> (cell: Cell, used: [String]) {
        guard case let .mapping(entries) = options.value, entries.contains(where: { Cell.namesParameter($0.value) }) else { return (self, []) }
        var filled = [(key: String, value: YAMLNode)](), used = [String]()
        for (key, node) in entries {
            guard Cell.namesParameter(node), case let .string(text) = node.value else { filled.append((key, node)); continue }
            // Diagnostics name the column in the notebook's line: the text is placed where the line holds it.
            let line = node.line >= 1 && node.line <= lines.count ? lines[node.line - 1] : ""
            let indent = line.range(of: text).map { line.distance(from: line.startIndex, to: $0.lowerBound) } ?? 0
            let (substituted, names) = try parameters.substitute(in: String(repeating: " ", count: indent) + text, firstLine: node.line, file: file,
                                                                 label: label, directive: directive,
                                                                 writing: key == "caption" ? Parameters.plainText : Parameters.yamlText)
            used += names.filter { !used.contains($0) }
            let value = String(substituted.dropFirst(indent))
            guard key != "caption" else { filled.append((key, YAMLNode(.string(value), line: node.line))); continue }
            let parsed: YAMLNode
            do throws(YAMLError) { parsed = try YAML.parse(value) } catch {
                throw Diagnostic(file: file, line: node.line, column: Cell.lineColumn(node.keyColumn), label: label, directive: directive,
                                 message: "cell option '\(key)': \(error.message)")
            }
            guard let kind = Cell.optionKinds[key], DirectiveSpec.convert(parsed.value, to: kind) != nil else {
                throw Cell.wrongKind(key, Cell.optionKinds[key] ?? .string, at: node, file: file, label: label, directive: directive,
                                     given: " (its parameters make it \(value))")
            }
            filled.append((key, YAMLNode(parsed.value, line: node.line)))
        }
        var cell = self
        cell.options = YAMLNode(.mapping(filled), line: options.line)
        return (cell, used)
    }
}
