import Foundation

/// One version of a file as the file system describes it: device, inode, size, and the times of the
/// last change to its contents and to its status, in nanoseconds.
///
/// Two stats with equal stamps saw the same bytes, unless the file was rewritten to the same size
/// within one tick of the file system's clock; a stamp taken within `settlingSeconds` of such a change
/// is therefore not `settled`, and is not to be trusted later (Git's "racily clean" rule).
public struct FileStamp: Hashable, Sendable, CustomStringConvertible {
    public let description: String
    /// The later of the two change times, in seconds since 1970.
    let lastChange: Double

    /// How long after its last change a file's stamp is trusted.
    public static let settlingSeconds = 2.0

    /// The stamp of the file at `path`; nil when it cannot be read.
    public init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        let changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
        description = "\(info.st_dev):\(info.st_ino):\(info.st_size):\(modified):\(changed)"
        lastChange = Double(max(modified, changed)) / 1e9
    }

    /// Whether the file's last change is at least `settlingSeconds` before `now`.
    public func settled(now: Date = Date()) -> Bool {
        now.timeIntervalSince1970 - lastChange >= Self.settlingSeconds
    }
}
