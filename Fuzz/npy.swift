import Foundation

/// libFuzzer entry: one `.npy` image per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? NPYReader.read(Data(bytes: data, count: size), name: "fuzz", file: "fuzz.npy")
    return 0
}
