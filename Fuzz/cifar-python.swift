/// libFuzzer entry: one CIFAR-10 python batch (a pickle) per input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? CIFARBatch.python(Array(UnsafeBufferPointer(start: data, count: size)), file: "fuzz_batch")
    return 0
}
