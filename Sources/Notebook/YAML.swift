internal import CYAML

/// A YAML value with the 1-based line and column it starts on (and, in a mapping, its key's column),
/// as libyaml reports them: what front matter, `#|` options, cell arguments and parameter files are made
/// of. Parsed with libyaml (this is the only file that imports it). Two nodes are equal when their
/// values and lines are; columns are where they were written, not what they say.
public struct YAMLNode: Sendable, Equatable {
    public indirect enum Value: Sendable, Equatable {
        case null
        case bool(Bool)
        case int(Int)
        case double(Double)
        case string(String)
        case sequence([YAMLNode])
        /// Keys in document order; duplicate keys are refused by the parser.
        case mapping([(key: String, value: YAMLNode)])

        public static func == (lhs: Value, rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case let (.bool(a), .bool(b)): return a == b
            case let (.int(a), .int(b)): return a == b
            case let (.double(a), .double(b)): return a == b
            case let (.string(a), .string(b)): return a == b
            case let (.sequence(a), .sequence(b)): return a == b
            case let (.mapping(a), .mapping(b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
            default: return false
            }
        }
    }

    public let value: Value
    /// The 1-based line of the node in the text given to the parser.
    public let line: Int
    /// The 1-based column of the node's first character.
    public let column: Int
    /// The 1-based column of the key that names the node in its mapping (its own column elsewhere).
    public let keyColumn: Int

    public init(_ value: Value, line: Int, column: Int = 1, keyColumn: Int? = nil) {
        self.value = value
        self.line = line
        self.column = column
        self.keyColumn = keyColumn ?? column
    }

    public static func == (a: YAMLNode, b: YAMLNode) -> Bool { a.value == b.value && a.line == b.line }

    /// The value of a mapping's key.
    public subscript(key: String) -> YAMLNode? {
        guard case let .mapping(entries) = value else { return nil }
        return entries.first { $0.key == key }?.value
    }
}

/// A YAML text that cannot be read: the 1-based line and column, and what is wrong.
public struct YAMLError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let column: Int
    public let message: String

    public var description: String { "\(line):\(column): \(message)" }
}

public enum YAML {
    /// Nesting deeper than this is refused, so that no text can exhaust the stack.
    public static let maximumDepth = 64

    /// Parses one YAML document. Plain scalars are typed (`true`/`false`, `null`/`~`/empty, integers,
    /// floats); quoted scalars are strings. Anchors, aliases, tags other than the core ones and
    /// duplicate keys are refused. An empty text is `null`.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw YAMLError(line: 1, column: 1, message: "the YAML parser could not start") }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { (buffer) throws(YAMLError) -> YAMLNode in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            var builder = TreeBuilder()
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else {
                    let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
                    throw YAMLError(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1, message: problem)
                }
                defer { yaml_event_delete(&event) }
                if event.type == YAML_STREAM_END_EVENT { break }
                try builder.consume(event)
            }
            return builder.result ?? YAMLNode(.null, line: 1)
        }
    }

    /// Builds nodes from the event stream with an explicit stack (no recursion).
    private struct TreeBuilder {
        enum Open {
            case sequence(line: Int, column: Int, items: [YAMLNode])
            case mapping(line: Int, column: Int, entries: [(key: String, value: YAMLNode)], pendingKey: (name: String, column: Int)?)
        }

        var stack: [Open] = []
        var result: YAMLNode?
        var documents = 0

        mutating func consume(_ event: yaml_event_t) throws(YAMLError) {
            let line = Int(event.start_mark.line) + 1, column = Int(event.start_mark.column) + 1
            func fail(_ message: String) -> YAMLError { YAMLError(line: line, column: column, message: message) }
            switch event.type {
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                guard documents == 1 else { throw fail("holds more than one YAML document") }
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                guard stack.count < YAML.maximumDepth else { throw fail("nests more than \(YAML.maximumDepth) levels deep") }
                let anchor = event.type == YAML_SEQUENCE_START_EVENT ? event.data.sequence_start.anchor : event.data.mapping_start.anchor
                guard anchor == nil else { throw fail("uses an anchor, which is not supported") }
                stack.append(event.type == YAML_SEQUENCE_START_EVENT ? .sequence(line: line, column: column, items: [])
                                                                     : .mapping(line: line, column: column, entries: [], pendingKey: nil))
            case YAML_SEQUENCE_END_EVENT:
                guard case let .sequence(start, startColumn, items)? = stack.popLast() else { throw fail("ends a sequence that was not open") }
                try add(YAMLNode(.sequence(items), line: start, column: startColumn))
            case YAML_MAPPING_END_EVENT:
                guard case let .mapping(start, startColumn, entries, _)? = stack.popLast() else { throw fail("ends a mapping that was not open") }
                try add(YAMLNode(.mapping(entries), line: start, column: startColumn))
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                guard scalar.anchor == nil else { throw fail("uses an anchor, which is not supported") }
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: Int(scalar.length)), as: UTF8.self)
                let tag = scalar.tag.map { String(cString: $0) }
                let value: YAMLNode.Value
                if let tag, tag != "tag:yaml.org,2002:str", tag != "!" {
                    throw fail("uses the tag '\(tag)', which is not supported")
                } else if scalar.style == YAML_PLAIN_SCALAR_STYLE && tag == nil {
                    value = YAML.typed(text)
                } else {
                    value = .string(text)
                }
                try add(YAMLNode(value, line: line, column: column))
            case YAML_ALIAS_EVENT:
                throw fail("uses an alias, which is not supported")
            default:
                break
            }
        }

        /// Puts a finished node in the open container, or makes it the result.
        mutating func add(_ node: YAMLNode) throws(YAMLError) {
            guard let top = stack.popLast() else {
                result = node
                return
            }
            switch top {
            case let .sequence(start, startColumn, items):
                stack.append(.sequence(line: start, column: startColumn, items: items + [node]))
            case let .mapping(start, startColumn, entries, pendingKey):
                if let key = pendingKey {
                    let named = YAMLNode(node.value, line: node.line, column: node.column, keyColumn: key.column)
                    stack.append(.mapping(line: start, column: startColumn, entries: entries + [(key.name, named)], pendingKey: nil))
                } else {
                    let key: String
                    switch node.value {
                    case let .string(text): key = text
                    case let .int(number): key = String(number)
                    case let .bool(flag): key = flag ? "true" : "false"
                    default: throw YAMLError(line: node.line, column: node.column, message: "has a mapping key that is not a scalar")
                    }
                    guard !entries.contains(where: { $0.key == key }) else {
                        throw YAMLError(line: node.line, column: node.column, message: "repeats the key '\(key)'")
                    }
                    stack.append(.mapping(line: start, column: startColumn, entries: entries, pendingKey: (key, node.column)))
                }
            }
        }
    }

    /// A plain scalar's value: null, boolean, integer, float, or the string itself.
    static func typed(_ text: String) -> YAMLNode.Value {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if let number = Int(text) { return .int(number) }
        if let number = Double(text), text.contains(where: { $0.isNumber }), !text.lowercased().hasPrefix("0x") {
            return .double(number)
        }
        return .string(text)
    }
}
