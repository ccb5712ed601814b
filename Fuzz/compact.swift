import Foundation

/// libFuzzer entry for the compact-file checks: the input is a compact file's metadata, `fpgm_kept`,
/// a zero byte, then `fpgm_removed_values`, read against the tensors of a real compact ResNet-20
/// (seeded weights, FPGM-only 40%). A model that passes is built into a network too.
enum CompactFuzzing {
    static let architecture = try! Architecture.named("resnet20")
    static let model: CompactModel = {
        let weights = BoundWeights.synthetic(architecture, seed: 2019)
        let plan = try! FilterSelector(rates: PruningRates(rateNorm: 1.0, rateDist: 0.4)).plan(for: weights.prunableLayers)
        return try! CompactModel(weights: weights, plan: plan)
    }()
    static let tensors = CompactCheckpoint.tensors(model).map { StoredTensor(name: $0.name, dtype: .float32, tensor: $0.tensor) }
}

/// Writes the real model's metadata into the first corpus folder, so that fuzzing starts from a file
/// that passes every check.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    let metadata = CompactCheckpoint.metadata(CompactFuzzing.model)
    let seed = Data(metadata["fpgm_kept"]!.utf8) + Data([0]) + Data(metadata["fpgm_removed_values"]!.utf8)
    let folder = (1..<Int(argc.pointee)).map { String(cString: argv.pointee[$0]) }.first { !$0.hasPrefix("-") }
    if let folder { _ = FileManager.default.createFile(atPath: folder + "/resnet20-fpgm40", contents: seed) }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let parts = UnsafeBufferPointer(start: data, count: size).split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let text = parts.map { String(decoding: $0, as: UTF8.self) }
    let checkpoint = Checkpoint(format: .safetensors, tensors: CompactFuzzing.tensors,
                                metadata: ["fpgm_kept": text[0], "fpgm_removed_values": text.count > 1 ? text[1] : ""])
    if let model = try? CompactCheckpoint.model(of: checkpoint, path: "fuzz.safetensors", architecture: CompactFuzzing.architecture) {
        _ = InferenceNetwork(model: model)
    }
    return 0
}
