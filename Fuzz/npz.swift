import Foundation

/// libFuzzer entry: one `.npz` archive per input, read through libzip from a scratch file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write(data, size, suffix: "npz")
    if let archive = try? ZipArchive(path: path) { _ = try? NPZReader.read(archive, path: path) }
    return 0
}
