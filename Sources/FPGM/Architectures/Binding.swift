/// A checkpoint's tensors matched to an architecture's layers, under the architecture's names.
public struct BoundWeights: Sendable {
    public let architecture: Architecture
    /// By canonical name (`layer1.0.conv1.weight`, `bn1.running_var`, `linear.bias`, ...).
    public let tensors: [String: Tensor]

    /// The filters of every prunable convolution, in forward order.
    public var prunableLayers: [(name: String, filters: FilterMatrix)] {
        architecture.prunableConvolutions.map { ($0.name, tensors["\($0.name).weight"]!.filters) }
    }
}

/// Why a checkpoint does not fit an architecture.
public struct BindingError: Error, Equatable, CustomStringConvertible {
    public let architecture: String
    public let missing: [String]
    public let unexpected: [String]
    /// "name is [shape], the architecture needs [shape]" for each tensor of the wrong shape.
    public let misshapen: [String]

    public var description: String {
        func listed(_ names: [String]) -> String {
            names.prefix(4).joined(separator: ", ") + (names.count > 4 ? " and \(names.count - 4) more" : "")
        }
        var parts = [String]()
        if !missing.isEmpty { parts.append("\(missing.count) missing (\(listed(missing)))") }
        if !unexpected.isEmpty { parts.append("\(unexpected.count) unexpected (\(listed(unexpected)))") }
        if !misshapen.isEmpty { parts.append("\(misshapen.count) of the wrong shape (\(listed(misshapen)))") }
        return "does not match \(architecture): tensors " + parts.joined(separator: "; ")
    }

    /// How far the checkpoint is from the architecture: the number of tensors that do not fit.
    var distance: Int { missing.count + unexpected.count + misshapen.count }
}

extension Architecture {
    /// Every tensor of the architecture's state dict with its shape: convolution weights, batch-norm
    /// weight, bias, running mean and variance, classifier weight and bias.
    public var stateDictShapes: [String: [Int]] {
        var shapes = [String: [Int]]()
        for layer in convolutions {
            shapes["\(layer.name).weight"] = layer.weightShape
            if layer.hasBias { shapes["\(layer.name).bias"] = [layer.outChannels] }
        }
        for norm in batchNorms {
            for field in ["weight", "bias", "running_mean", "running_var"] { shapes["\(norm.name).\(field)"] = [norm.channels] }
        }
        shapes["\(classifier.name).weight"] = [classifier.outFeatures, classifier.inFeatures]
        shapes["\(classifier.name).bias"] = [classifier.outFeatures]
        return shapes
    }

    /// A stored tensor name in this project's naming: without DataParallel's `module.` prefix, and with
    /// the FPGM authors' CIFAR names (`conv_1_3x3`, `bn_1`, `stage_1.0.conv_a`, `bn_b`, `classifier`)
    /// translated to akamaster's (`conv1`, `bn1`, `layer1.0.conv1`, `bn2`, `linear`).
    public static func canonicalName(_ stored: String) -> String {
        let renamed: [Substring: String] = ["conv_1_3x3": "conv1", "bn_1": "bn1", "conv_a": "conv1", "bn_a": "bn1",
                                            "conv_b": "conv2", "bn_b": "bn2"]
        return Checkpoint.canonicalName(stored).split(separator: ".", omittingEmptySubsequences: false).map { part in
            if let name = renamed[part] { return name }
            return part.hasPrefix("stage_") ? "layer" + part.dropFirst("stage_".count) : String(part)
        }.joined(separator: ".")
    }

    /// The checkpoint's tensors under this architecture's names; fails listing every missing, unexpected
    /// and mis-shaped tensor. Batch-norm `num_batches_tracked` counters and the momentum buffers of a
    /// training checkpoint (`TrainingCheckpoint`) are accepted and ignored, and a
    /// CIFAR classifier saved as `classifier` is accepted as `linear`.
    public func bind(_ checkpoint: Checkpoint) throws(BindingError) -> BoundWeights {
        let shapes = stateDictShapes
        var tensors = [String: Tensor](), unexpected = [String](), misshapen = [String](), wrongShape = Set<String>()
        for stored in checkpoint.tensors {
            var name = Architecture.canonicalName(stored.name)
            if name.hasPrefix("classifier."), family == .cifarResNet { name = "linear." + name.dropFirst("classifier.".count) }
            if name.hasSuffix(".num_batches_tracked") || name.hasPrefix(TrainingCheckpoint.optimizerPrefix) { continue }
            guard let shape = shapes[name] else { unexpected.append(stored.name); continue }
            guard stored.tensor.shape == shape else {
                misshapen.append("\(stored.name) is \(stored.tensor.shape), \(self.name) needs \(shape)")
                wrongShape.insert(name)
                continue
            }
            tensors[name] = stored.tensor
        }
        let missing = shapes.keys.filter { tensors[$0] == nil && !wrongShape.contains($0) }.sorted()
        guard missing.isEmpty, unexpected.isEmpty, misshapen.isEmpty else {
            throw BindingError(architecture: self.name, missing: missing, unexpected: unexpected, misshapen: misshapen)
        }
        return BoundWeights(architecture: self, tensors: tensors)
    }

    /// The architecture whose state dict the checkpoint holds exactly; fails with the nearest one's
    /// differences when none fits.
    public static func infer(from checkpoint: Checkpoint) throws(BindingError) -> BoundWeights {
        var nearest: BindingError?
        for name in names {
            do {
                return try Architecture.named(name).bind(checkpoint)
            } catch let error as BindingError {
                if nearest == nil || error.distance < nearest!.distance { nearest = error }
            } catch {
                continue
            }
        }
        throw nearest!
    }
}
