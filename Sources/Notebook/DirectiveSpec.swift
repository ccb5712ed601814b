import Report

/// What one argument of a directive accepts.
public enum ArgumentKind: Sendable, Equatable {
    case bool, integer, number, string
    /// An integer of at least 0 (a seed, a count).
    case count
    /// A list of strings; a single string is accepted as a list of one.
    case strings
    /// A list of numbers; a single number is accepted as a list of one.
    case numbers
    /// One of the given strings.
    case choice([String])
    /// A list of strings, each one of the given strings; a single string is accepted as a list of one.
    case choices([String])
    /// A number in [0, 1].
    case fraction
    /// A list of numbers in [0, 1]; a single number is accepted as a list of one.
    case fractions

    /// How the kind reads in messages and help.
    public var name: String {
        switch self {
        case .bool: return "true or false"
        case .integer: return "an integer"
        case .count: return "a non-negative integer"
        case .number: return "a number"
        case .string: return "a string"
        case .strings: return "a list of strings"
        case .numbers: return "a list of numbers"
        case let .choice(values): return "one of " + values.filter { !$0.isEmpty }.joined(separator: ", ")
        case let .choices(values): return "a list of " + values.filter { !$0.isEmpty }.joined(separator: ", ")
        case .fraction: return "a number from 0 to 1"
        case .fractions: return "a list of numbers from 0 to 1"
        }
    }
}

/// One argument of a directive: name, kind, default (nil: required) and help.
public struct ArgumentSpec: Sendable, Equatable {
    public let name: String
    public let kind: ArgumentKind
    public let defaultValue: ArgumentValue?
    public let help: String

    public init(_ name: String, _ kind: ArgumentKind, default defaultValue: ArgumentValue? = nil, help: String) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.help = help
    }

    /// The same argument with other help (a shared argument that means a little more in one directive).
    public func with(help: String) -> ArgumentSpec { ArgumentSpec(name, kind, default: defaultValue, help: help) }
}

/// A cell's checked arguments read through their specs: `DirectiveSpec.check` has given every argument
/// of the spec a value of its kind, so a getter that finds another kind is a directive's programming
/// error (its spec and its reading disagree), not a notebook's.
extension Dictionary where Key == String, Value == ArgumentValue {
    public func bool(_ spec: ArgumentSpec) -> Bool {
        guard case let .bool(value)? = self[spec.name] else { return mismatch(spec, "bool") }
        return value
    }

    /// An `.integer` or `.count` argument.
    public func integer(_ spec: ArgumentSpec) -> Int {
        guard case let .integer(value)? = self[spec.name] else { return mismatch(spec, "integer") }
        return value
    }

    /// A `.number` or `.fraction` argument.
    public func number(_ spec: ArgumentSpec) -> Double {
        guard case let .number(value)? = self[spec.name] else { return mismatch(spec, "number") }
        return value
    }

    /// A `.string` or `.choice` argument.
    public func string(_ spec: ArgumentSpec) -> String {
        guard case let .string(value)? = self[spec.name] else { return mismatch(spec, "string") }
        return value
    }

    /// A `.strings` or `.choices` argument.
    public func strings(_ spec: ArgumentSpec) -> [String] {
        guard case let .strings(value)? = self[spec.name] else { return mismatch(spec, "strings") }
        return value
    }

    /// A `.numbers` or `.fractions` argument.
    public func numbers(_ spec: ArgumentSpec) -> [Double] {
        guard case let .numbers(value)? = self[spec.name] else { return mismatch(spec, "numbers") }
        return value
    }

    /// A `.choice` argument as the type whose raw values its choices are.
    public func choice<T: RawRepresentable>(_ spec: ArgumentSpec, as type: T.Type) -> T where T.RawValue == String {
        guard let value = T(rawValue: string(spec)) else { return mismatch(spec, "\(T.self)") }
        return value
    }

    /// A `.choices` argument as the type whose raw values its choices are.
    public func choices<T: RawRepresentable>(_ spec: ArgumentSpec, as type: T.Type) -> [T] where T.RawValue == String {
        strings(spec).map { name in
            guard let value = T(rawValue: name) else { return mismatch(spec, "\(T.self)") }
            return value
        }
    }

    private func mismatch<T>(_ spec: ArgumentSpec, _ read: String) -> T {
        preconditionFailure("argument '\(spec.name)' is declared \(spec.kind.name) but read as \(read)")
    }
}

/// A checked argument value.
public enum ArgumentValue: Sendable, Equatable {
    case bool(Bool)
    case integer(Int)
    case number(Double)
    case string(String)
    case strings([String])
    case numbers([Double])

    /// The value as a cell would write it in YAML: `true`, `64`, `0.4`, `paper`, `""`, `[fpgm, l2]`, `[0.4]`.
    public var yaml: String {
        switch self {
        case let .bool(flag): flag ? "true" : "false"
        case let .integer(number): String(number)
        case let .number(number): NumberFormat.trimmed(number, digits: 6)
        case let .string(text): text.isEmpty ? "\"\"" : text
        case let .strings(texts): "[" + texts.joined(separator: ", ") + "]"
        case let .numbers(numbers): "[" + numbers.map { NumberFormat.trimmed($0, digits: 6) }.joined(separator: ", ") + "]"
        }
    }
}

/// A directive's name, summary, arguments and exported values: what the runner checks a cell against
/// before any cell runs, and what `fpgm help DIRECTIVE` prints.
public struct DirectiveSpec: Sendable {
    public let name: String
    public let summary: String
    public let arguments: [ArgumentSpec]
    /// The values a cell exports for `{{label.key}}`, in a sentence.
    public let exports: String

    public init(name: String, summary: String, arguments: [ArgumentSpec], exports: String = "") {
        self.name = name
        self.summary = summary
        self.arguments = arguments
        self.exports = exports
    }

    /// The cell's arguments (YAML after parameter substitution) checked against the spec: unknown names
    /// (with a suggestion and the valid names), wrong kinds and missing required arguments are
    /// diagnostics at the argument's line; absent arguments take their defaults.
    public func check(_ node: YAMLNode, cell: Cell, file: String) throws(Diagnostic) -> [String: ArgumentValue] {
        func fail(_ line: Int, column: Int = cell.column, _ message: String) -> Diagnostic {
            Diagnostic(file: file, line: line, column: column, label: cell.label, directive: name, message: message)
        }
        var entries = [(key: String, value: YAMLNode)]()
        switch node.value {
        case .null: break
        case let .mapping(mapping): entries = mapping
        default: throw fail(cell.argumentsLine, column: node.column, "arguments must be a mapping of names to values")
        }
        var values = [String: ArgumentValue]()
        for (key, value) in entries {
            guard let spec = arguments.first(where: { $0.name == key }) else {
                let valid = arguments.map(\.name)
                let hint = Suggestion.nearest(key, among: valid).map { "; did you mean '\($0)'?" } ?? ""
                throw fail(value.line, column: value.keyColumn, "unknown argument '\(key)'\(hint) (valid: \(valid.joined(separator: ", ")))")
            }
            guard let checked = DirectiveSpec.convert(value.value, to: spec.kind) else {
                throw fail(value.line, column: value.keyColumn, DirectiveSpec.mismatch(key, value.value, kind: spec.kind))
            }
            values[key] = checked
        }
        for spec in arguments where values[spec.name] == nil {
            guard let fallback = spec.defaultValue else { throw fail(cell.line, "missing required argument '\(spec.name)'") }
            values[spec.name] = fallback
        }
        return values
    }

    /// Why `value` does not fit `kind`, naming the argument: a value outside [0, 1] says so; a string that
    /// is not among the choices gets the nearest choice as a suggestion.
    static func mismatch(_ key: String, _ value: YAMLNode.Value, kind: ArgumentKind) -> String {
        switch kind {
        case .fraction, .fractions:
            var numbers = [Double]()
            if case let .numbers(list)? = convert(value, to: .numbers) { numbers = list }
            if let outside = numbers.first(where: { $0 < 0 || $0 > 1 }) {
                return "argument '\(key)' must lie in [0, 1], got \(outside)"
            }
        case let .choice(options), let .choices(options):
            var texts = [String]()
            if case let .strings(list)? = convert(value, to: .strings) { texts = list }
            if let unknown = texts.first(where: { !options.contains($0) }) {
                let known = options.filter { !$0.isEmpty }
                let hint = Suggestion.nearest(unknown, among: known).map { "; did you mean '\($0)'?" } ?? ""
                let listed = known.count > 12 ? known.prefix(12).joined(separator: ", ") + ", ..." : known.joined(separator: ", ")
                return "argument '\(key)' has the unknown value '\(unknown)'\(hint) (known: \(listed))"
            }
        default: break
        }
        return "argument '\(key)' must be \(kind.name)"
    }

    static func convert(_ value: YAMLNode.Value, to kind: ArgumentKind) -> ArgumentValue? {
        switch (kind, value) {
        case (.fraction, _):
            guard case let .number(number)? = convert(value, to: .number), (0...1).contains(number) else { return nil }
            return .number(number)
        case (.fractions, _):
            guard case let .numbers(numbers)? = convert(value, to: .numbers), numbers.allSatisfy({ (0...1).contains($0) }) else { return nil }
            return .numbers(numbers)
        case let (.choices(options), _):
            guard case let .strings(texts)? = convert(value, to: .strings), texts.allSatisfy(options.contains) else { return nil }
            return .strings(texts)
        case let (.bool, .bool(flag)): return .bool(flag)
        case let (.integer, .int(number)): return .integer(number)
        case let (.count, .int(number)) where number >= 0: return .integer(number)
        case let (.number, .int(number)): return .number(Double(number))
        case let (.number, .double(number)): return .number(number)
        case let (.string, .string(text)): return .string(text)
        case let (.choice(options), .string(text)) where options.contains(text): return .string(text)
        case let (.strings, .string(text)): return .strings([text])
        case let (.strings, .sequence(items)):
            let texts = items.compactMap { if case let .string(text) = $0.value { text } else { nil } }
            return texts.count == items.count ? .strings(texts) : nil
        case let (.numbers, .int(number)): return .numbers([Double(number)])
        case let (.numbers, .double(number)): return .numbers([number])
        case let (.numbers, .sequence(items)):
            let numbers = items.compactMap { item -> Double? in
                switch item.value {
                case let .int(number): return Double(number)
                case let .double(number): return number
                default: return nil
                }
            }
            return numbers.count == items.count ? .numbers(numbers) : nil
        default: return nil
        }
    }
}
