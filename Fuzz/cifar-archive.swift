/// libFuzzer entry: one tar or tar.gz archive per input, read as the test split.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzScratch.write(data, size, suffix: "tar.gz")
    _ = try? ImageData.archive(path, split: .test)
    return 0
}
