import FPGM

/// Finds the conv layers to prune in a checkpoint's tensors.
enum PrunableLayers {
    struct MismatchError: Error, CustomStringConvertible {
        let description: String
    }

    /// With an architecture: its prunable convolutions, each `<name>.weight` required with the
    /// architecture's shape. Without: every 4-D tensor, in file order, except projection shortcuts
    /// (names containing `downsample`), named without `module.` and `.weight`.
    static func find(in checkpoint: Checkpoint, architecture: Architecture?) throws(MismatchError) -> [(name: String, filters: FilterMatrix)] {
        var layers = [(name: String, filters: FilterMatrix)]()
        if let architecture {
            var missing = [String](), misshapen = [String]()
            for layer in architecture.prunableConvolutions {
                guard let stored = checkpoint.tensor(named: "\(layer.name).weight") else { missing.append("\(layer.name).weight"); continue }
                guard stored.tensor.shape == layer.weightShape else {
                    misshapen.append("\(stored.name) is \(stored.tensor.shape), \(architecture.name) needs \(layer.weightShape)")
                    continue
                }
                layers.append((layer.name, stored.tensor.filters))
            }
            if !missing.isEmpty || !misshapen.isEmpty {
                let shown = missing.prefix(5).joined(separator: ", ") + (missing.count > 5 ? " and \(missing.count - 5) more" : "")
                let parts = (missing.isEmpty ? [] : ["lacks \(missing.count) tensor(s) of \(architecture.name) (\(shown))"])
                    + misshapen.prefix(3).map { $0 }
                throw MismatchError(description: "does not match \(architecture.name): " + parts.joined(separator: "; "))
            }
        } else {
            for stored in checkpoint.tensors where stored.tensor.shape.count == 4 && !stored.name.contains("downsample") {
                let name = Checkpoint.canonicalName(stored.name)
                layers.append((name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) : name, stored.tensor.filters))
            }
            guard !layers.isEmpty else { throw MismatchError(description: "holds no 4-D tensor to prune") }
        }
        return layers
    }
}
