import Foundation

/// Values computed from a file, once per process for each version of the file (its path and
/// `FileStamp`): a notebook digests and reads the same checkpoint for many cells.
public final class FileVersionMemo<Value>: @unchecked Sendable {
    private var values: [String: Value] = [:]
    private let lock = NSLock()

    public init() {}

    /// The value remembered for the file at `path` as it is now, or `compute()`'s, then remembered.
    public func value<Failure: Error>(forFileAt path: String, _ compute: () throws(Failure) -> Value) throws(Failure) -> Value {
        let version = Self.version(path)
        if let known = lock.withLock({ values[version] }) { return known }
        let value = try compute()
        lock.withLock { values[version] = value }
        return value
    }

    /// A key naming one version of the file at `path`.
    static func version(_ path: String) -> String {
        "\(path)|\(FileStamp(path: path)?.description ?? "unreadable")"
    }
}
