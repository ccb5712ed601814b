import Foundation

/// A JSON document with ordered object keys, written deterministically: the same value always gives
/// the same bytes (keys in the order given, numbers in Swift's shortest round-trip form).
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool { lhs.text() == rhs.text() }

    /// A scalar from its JSON text (`null`, `true`, `false`, a number, a string); nil for anything else.
    public init?(scalarText text: String) {
        switch text {
        case "null": self = .null
        case "true": self = .bool(true)
        case "false": self = .bool(false)
        default:
            if let value = Int(text) { self = .int(value) }
            else if text.hasPrefix("\""), let value = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: .fragmentsAllowed)) as? String {
                self = .string(value)
            } else if let value = Double(text), text.first.map({ $0 == "-" || $0.isNumber }) == true { self = .double(value) }
            else { return nil }
        }
    }

    /// The document as text; `indent` spaces per level, or compact on one line when `indent` is 0.
    /// Arrays of numbers stay on one line.
    public func text(indent: Int = 0) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int, level: Int) {
        let newline = indent > 0 ? "\n" : ""
        var pad: String { String(repeating: " ", count: indent * (level + 1)) }
        var closingPad: String { String(repeating: " ", count: indent * level) }
        switch self {
        case .null: out += "null"
        case let .bool(value): out += value ? "true" : "false"
        case let .int(value): out += String(value)
        case let .double(value): out += value.isFinite ? "\(value)" : "null"
        case let .string(value): out += JSONValue.quoted(value)
        case let .array(items):
            let scalars = items.allSatisfy { if case .array = $0 { false } else if case .object = $0 { false } else { true } }
            if items.isEmpty || scalars || indent == 0 {
                out += "["
                for (i, item) in items.enumerated() {
                    if i > 0 { out += indent > 0 ? ", " : "," }
                    item.write(to: &out, indent: indent, level: level + 1)
                }
                out += "]"
            } else {
                out += "[" + newline
                let itemPad = pad
                for (i, item) in items.enumerated() {
                    out += itemPad
                    item.write(to: &out, indent: indent, level: level + 1)
                    out += (i < items.count - 1 ? "," : "") + newline
                }
                out += closingPad + "]"
            }
        case let .object(members):
            guard !members.isEmpty else { out += "{}"; return }
            out += "{" + newline
            let memberPad = pad
            for (i, (key, value)) in members.enumerated() {
                out += memberPad + JSONValue.quoted(key) + (indent > 0 ? ": " : ":")
                value.write(to: &out, indent: indent, level: level + 1)
                out += (i < members.count - 1 ? "," : "") + newline
            }
            out += closingPad + "}"
        }
    }

    /// A JSON string literal with quotes, backslashes and control characters escaped.
    public static func quoted(_ text: String) -> String {
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) { return "\"" + text + "\"" }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
