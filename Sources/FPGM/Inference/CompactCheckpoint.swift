import Foundation

/// A `CompactModel` as a safetensors file: the compact state dict in the architecture's order, each
/// input offset as `<conv>.input_offset` after its convolution's weight, and in the metadata
/// `fpgm_arch`, `fpgm_kept` (JSON: layer -> kept filters, ascending) and `fpgm_removed_values` (JSON:
/// layer -> removed channel -> its value where the network uses it).
public enum CompactCheckpoint {
    /// The suffix of an input offset's tensor name.
    static let offsetSuffix = ".input_offset"

    /// The tensors to write, in order.
    public static func tensors(_ model: CompactModel) -> [(name: String, tensor: Tensor)] {
        let architecture = model.architecture
        var result = [(name: String, tensor: Tensor)]()
        for layer in architecture.convolutions {
            result.append(("\(layer.name).weight", model.tensors["\(layer.name).weight"]!))
            if let offset = model.inputOffsets[layer.name] { result.append((layer.name + offsetSuffix, offset)) }
            let norm = model.batchNorm(of: layer)
            result += norm.fields.map { ("\(norm.name).\($0.0)", $0.1) }
        }
        for field in ["weight", "bias"] {
            let name = "\(architecture.classifier.name).\(field)"
            result.append((name, model.tensors[name]!))
        }
        return result
    }

    /// The metadata that makes a compact file self-describing.
    public static func metadata(_ model: CompactModel) -> [String: String] {
        let layers = model.architecture.convolutions.filter { model.kept[$0.name] != nil }
        let kept = layers.map { "\"\($0.name)\":[\(model.outputs($0).map(String.init).joined(separator: ","))]" }
        let removed = layers.map { layer in
            let values = model.removedValues[layer.name] ?? [:]
            return "\"\(layer.name)\":{" + values.keys.sorted().map { "\"\($0)\":\(String(format: "%.9g", Double(values[$0]!)))" }
                .joined(separator: ",") + "}"
        }
        return ["fpgm_arch": model.architecture.name, "fpgm_kept": "{" + kept.joined(separator: ",") + "}",
                "fpgm_removed_values": "{" + removed.joined(separator: ",") + "}"]
    }

    /// Whether `checkpoint` is a compact file (it has `fpgm_kept` metadata).
    public static func isCompact(_ checkpoint: Checkpoint) -> Bool { checkpoint.metadata["fpgm_kept"] != nil }

    /// The compact model a file holds; fails naming the first tensor or entry that does not fit
    /// `architecture` and the kept filters.
    public static func model(of checkpoint: Checkpoint, path: String, architecture: Architecture) throws(CheckpointError) -> CompactModel {
        func fail(_ problem: String) -> CheckpointError { CheckpointError(file: path, problem: problem) }
        guard let keptJSON = checkpoint.metadata["fpgm_kept"].flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) }) as? [String: [Int]],
              let removedJSON = checkpoint.metadata["fpgm_removed_values"].flatMap({ try? JSONSerialization.jsonObject(with: Data($0.utf8)) })
                as? [String: [String: Double]] else {
            throw fail("has no readable fpgm_kept and fpgm_removed_values metadata")
        }
        var kept = [String: [Int]](), removedValues = [String: [Int: Float]]()
        let prunable = architecture.prunableConvolutions
        if let stray = keptJSON.keys.sorted().first(where: { name in !prunable.contains { $0.name == name } }) {
            throw fail("fpgm_kept names '\(stray)', which is not a prunable layer of \(architecture.name)")
        }
        for layer in prunable {
            guard let indices = keptJSON[layer.name] else { continue }
            let name = layer.name
            guard !indices.isEmpty, indices == indices.sorted(), Set(indices).count == indices.count,
                  indices.allSatisfy({ (0..<layer.outChannels).contains($0) }) else {
                throw fail("fpgm_kept of \(name) is not a set of filters of 0..<\(layer.outChannels)")
            }
            let removed = Set(0..<layer.outChannels).subtracting(indices)
            var values = [Int: Float]()
            let given = removedJSON[name] ?? [:]
            for key in given.keys.sorted() {
                guard let channel = Int(key), removed.contains(channel) else { throw fail("fpgm_removed_values of \(name) names a kept or unknown channel '\(key)'") }
                values[channel] = Float(given[key]!)
            }
            guard values.count == removed.count else { throw fail("fpgm_removed_values of \(name) does not give every removed channel") }
            kept[name] = indices
            removedValues[name] = values
        }
        func outputs(_ layer: ConvolutionLayer) -> Int { kept[layer.name]?.count ?? layer.outChannels }
        var tensors = [String: Tensor](), inputOffsets = [String: Tensor]()
        let stored = Dictionary(checkpoint.tensors.map { ($0.name, $0.tensor) }, uniquingKeysWith: { first, _ in first })
        func take(_ name: String, shape: [Int]) throws(CheckpointError) -> Tensor {
            guard let tensor = stored[name] else { throw fail("has no tensor '\(name)'") }
            guard tensor.shape == shape else { throw fail("'\(name)' is \(tensor.shape), the compact \(architecture.name) needs \(shape)") }
            return tensor
        }
        for layer in architecture.convolutions {
            let source = architecture.graph.directSource(of: layer)
            let inputs = source.map(outputs) ?? layer.inChannels
            tensors["\(layer.name).weight"] = try take("\(layer.name).weight", shape: [outputs(layer), inputs, layer.kernel, layer.kernel])
            if let source, kept[source.name] != nil {
                inputOffsets[layer.name] = try take(layer.name + offsetSuffix, shape: [outputs(layer), layer.outputSize, layer.outputSize])
            }
            let norm = architecture.graph.batchNorm(of: layer).name
            for field in ["weight", "bias", "running_mean", "running_var"] {
                tensors["\(norm).\(field)"] = try take("\(norm).\(field)", shape: [outputs(layer)])
            }
        }
        let classifier = architecture.classifier
        let features = architecture.graph.classifierSource.map(outputs) ?? classifier.inFeatures
        tensors["\(classifier.name).weight"] = try take("\(classifier.name).weight", shape: [classifier.outFeatures, features])
        tensors["\(classifier.name).bias"] = try take("\(classifier.name).bias", shape: [classifier.outFeatures])
        return CompactModel(architecture: architecture, kept: kept, tensors: tensors, inputOffsets: inputOffsets, removedValues: removedValues)
    }
}
