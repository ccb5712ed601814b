import Foundation

/// libFuzzer entry: one zip-format PyTorch file per input, read through libzip from a scratch file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write(data, size, suffix: "pt")
    if let archive = try? ZipArchive(path: path) { _ = try? TorchReader.readZip(archive, file: path) }
    return 0
}
