import Foundation

/// libFuzzer entry: one safetensors file per input (written to a scratch file, as the reader reads files).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write(data, size, suffix: "safetensors")
    if let bytes = try? FileBytes(path: path) { _ = try? SafetensorsReader.read(bytes, file: path) }
    return 0
}
