import Foundation
import Report

/// A notebook's parameters: the front matter's `params`, overridden by a `--params` file, overridden by
/// `-p key=value` assignments (typed as YAML: `true`, `56`, `0.4`, `[0.3, 0.4]`, or a string).
/// `${name}` in a cell's arguments is replaced by the value, written as YAML.
public struct Parameters: Sendable {
    /// Name and value, in the order first defined.
    public private(set) var values: [(name: String, value: YAMLNode)] = []
    /// Where each parameter was last set: the file (the notebook, a `--params` file, or "-p") and line.
    public private(set) var origins: [String: (file: String, line: Int)] = [:]
    /// The parameters the notebook's front matter declares.
    public private(set) var declared: Set<String> = []

    public init() {}

    /// The `params` mapping of a front matter; fails when `params` is not a mapping.
    public init(frontMatter: YAMLNode, file: String) throws(Diagnostic) {
        guard let params = frontMatter["params"] else { return }
        try merge(params, file: file)
        declared = Set(values.map(\.name))
    }

    /// Warnings about these parameters for a notebook whose cells used `used`: one set from outside (a
    /// `--params` file or `-p`) that the front matter does not declare (papermill's rule: it is passed
    /// on all the same), and one that no cell uses.
    public func warnings(used: Set<String>, notebook: String) -> [Diagnostic] {
        values.compactMap { name, _ in
            let origin = origins[name] ?? (notebook, 1)
            if !declared.contains(name) {
                let known = declared.isEmpty ? "it declares none" : "it declares: \(declared.sorted().joined(separator: ", "))"
                return Diagnostic(.warning, file: origin.file, line: origin.line,
                                  message: "parameter '\(name)' is not declared in the front matter of \(notebook) (\(known))\(used.contains(name) ? "" : ", and no cell uses it")")
            }
            return used.contains(name) ? nil : Diagnostic(.warning, file: origin.file, line: origin.line, message: "parameter '\(name)' is used by no cell")
        }
    }

    /// The value of a parameter.
    public subscript(name: String) -> YAMLNode? { values.first { $0.name == name }?.value }

    /// Adds or replaces parameters from a mapping (front matter or a `--params` file).
    public mutating func merge(_ mapping: YAMLNode, file: String) throws(Diagnostic) {
        if case .null = mapping.value { return }
        guard case let .mapping(entries) = mapping.value else {
            throw Diagnostic(file: file, line: mapping.line, column: mapping.column, message: "params must be a mapping of names to values")
        }
        for (name, value) in entries { try set(name, value, file: file, line: value.line) }
    }

    /// Applies `name=value` from the command line; the value is read as YAML.
    public mutating func assign(_ assignment: String) throws(Diagnostic) {
        guard let equals = assignment.firstIndex(of: "=") else {
            throw Diagnostic(file: "-p", line: 1, message: "'\(assignment)' is not of the form name=value")
        }
        let name = String(assignment[..<equals]), text = String(assignment[assignment.index(after: equals)...])
        let value: YAMLNode
        do { value = try YAML.parse(text) } catch {
            throw Diagnostic(file: "-p", line: 1, column: name.count + 1 + error.column, message: "the value of '\(name)': \(error.message)")
        }
        try set(name, value, file: "-p", line: 1)
    }

    private mutating func set(_ name: String, _ value: YAMLNode, file: String, line: Int) throws(Diagnostic) {
        guard Parameters.isValidName(name) else {
            throw Diagnostic(file: file, line: line, message: "'\(name)' is not a parameter name (letters, digits and '_', not starting with a digit)")
        }
        origins[name] = (file, line)
        if let index = values.firstIndex(where: { $0.name == name }) {
            values[index].value = value
        } else {
            values.append((name, value))
        }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
    }

    /// `text` with every `${name}` replaced by the parameter's value as `writing` writes it (YAML unless
    /// told otherwise), and the names used.
    /// `firstLine` is the notebook line of the text's first line, for diagnostics.
    public func substitute(in text: String, firstLine: Int, file: String, label: String? = nil,
                           directive: String? = nil, writing: (YAMLNode) -> String = Parameters.yamlText) throws(Diagnostic) -> (text: String, used: [String]) {
        var used = [String]()
        func diagnostic(_ line: Int, _ column: Int, _ message: String) -> Diagnostic {
            Diagnostic(file: file, line: line, column: column, label: label, directive: directive, message: message)
        }
        let output = try Placeholders.replace(in: text, open: "${", close: "}", firstLine: firstLine, unclosed: "'${' is not closed by '}'",
                                              diagnostic: diagnostic) { name, line, column throws(Diagnostic) in
            guard let value = self[name] else {
                let known = values.map(\.name)
                throw diagnostic(line, column, "undefined parameter '\(name)'"
                                 + (known.isEmpty ? " (no parameters are defined)" : " (defined: \(known.joined(separator: ", ")))"))
            }
            if !used.contains(name) { used.append(name) }
            return writing(value)
        }
        return (output, used)
    }

    /// A value as text for a reader (a caption): a string as it is, anything else as `yamlText` writes it.
    public static func plainText(_ node: YAMLNode) -> String {
        if case let .string(text) = node.value { return text }
        return yamlText(node)
    }

    /// A value written as flow YAML: scalars plainly, strings double-quoted, `[a, b]`, `{k: v}`.
    public static func yamlText(_ node: YAMLNode) -> String {
        switch node.value {
        case .null: return "null"
        case let .bool(flag): return flag ? "true" : "false"
        case let .int(number): return String(number)
        case let .double(number): return "\(number)"
        case let .string(text): return JSONValue.quoted(text)  // a JSON string is a YAML double-quoted scalar
        case let .sequence(items): return "[" + items.map(yamlText).joined(separator: ", ") + "]"
        case let .mapping(entries):
            return "{" + entries.map { yamlText(YAMLNode(.string($0.key), line: 0)) + ": " + yamlText($0.value) }.joined(separator: ", ") + "}"
        }
    }
}
