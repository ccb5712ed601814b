import Foundation

/// libFuzzer entry: one legacy PyTorch file per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? TorchReader.readLegacy(Data(bytes: data, count: size), file: "fuzz.pt")
    return 0
}
