/// libFuzzer entry: one CIFAR-10 binary batch per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? CIFARBatch.binary(Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz.bin")
    return 0
}
