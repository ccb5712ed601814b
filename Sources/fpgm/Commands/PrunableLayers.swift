import FPGM

/// Finds the conv layers to prune in a checkpoint.
enum PrunableLayers {
    struct MismatchError: Error, CustomStringConvertible {
        let description: String
    }

    /// With an architecture: its prunable convolutions, bound by name and shape (every missing,
    /// unexpected or mis-shaped tensor is listed in the error). Without: the architecture the tensors
    /// fit, if one does; otherwise every 4-D tensor in file order except projection shortcuts (names
    /// containing `downsample`), named without `module.` and `.weight`.
    static func find(in checkpoint: Checkpoint, architecture: Architecture?) throws(MismatchError)
        -> (layers: [(name: String, filters: FilterMatrix)], architecture: Architecture?) {
        if let architecture {
            do { return (try architecture.bind(checkpoint).prunableLayers, architecture) } catch {
                throw MismatchError(description: error.description)
            }
        }
        if let bound = try? Architecture.infer(from: checkpoint) { return (bound.prunableLayers, bound.architecture) }
        var layers = [(name: String, filters: FilterMatrix)]()
        for stored in checkpoint.tensors where stored.tensor.shape.count == 4 && !stored.name.contains("downsample") {
            let name = Checkpoint.canonicalName(stored.name)
            layers.append((name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) : name, stored.tensor.filters))
        }
        guard !layers.isEmpty else { throw MismatchError(description: "holds no 4-D tensor to prune") }
        return (layers, nil)
    }
}
