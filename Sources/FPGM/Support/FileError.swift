/// An input that cannot be read: the file (or address) and what is wrong with it, as one sentence
/// ("file: problem"), which the command line prints with exit code 3.
public struct FileError: Error, Equatable, CustomStringConvertible {
    public let file: String
    public let problem: String

    public init(file: String, problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
}
