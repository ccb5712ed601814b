import Foundation

/// One scratch file per fuzzing process, rewritten for every input.
enum FuzzScratch {
    static func write(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String) -> String {
        let path = NSTemporaryDirectory() + "fpgm-fuzz-\(getpid()).\(suffix)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
        return path
    }
}
