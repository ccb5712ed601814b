/// A problem at a place in a notebook: `file:line:col: error: [label] directive: message`.
public struct Diagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public let severity: Severity
    public let file: String
    public let line: Int
    public let column: Int
    /// The cell's label and directive, when the problem belongs to a cell.
    public let label: String?
    public let directive: String?
    public let message: String

    public init(_ severity: Severity = .error, file: String, line: Int, column: Int = 1, label: String? = nil,
                directive: String? = nil, message: String) {
        self.severity = severity
        self.file = file
        self.line = line
        self.column = column
        self.label = label
        self.directive = directive
        self.message = message
    }

    public var description: String {
        var text = "\(file):\(line):\(column): \(severity.rawValue): "
        if let label { text += "[\(label)] " }
        if let directive { text += "\(directive): " }
        return text + message
    }
}
