import Foundation

/// The file a training run writes after every epoch: safetensors holding the network's state dict (in
/// the order `fpgm prune` writes it, so that `fpgm evaluate`, `fpgm prune` and PyTorch read it as
/// weights), the optimizer's momentum buffers as `optimizer.momentum.<parameter>`, and metadata:
/// the architecture, the completed epochs, the seed and the run's settings. The generator state needs no
/// tensor of its own: epoch e draws from `SeededGenerator(seed:stream: "epoch e")`, so the seed and the
/// completed epochs are the state.
public enum TrainingCheckpoint {
    /// The prefix of the momentum buffers' names; `Architecture.bind` ignores these tensors.
    public static let optimizerPrefix = "optimizer.momentum."

    /// What a checkpoint holds besides the weights.
    public struct State: Sendable, Equatable {
        public let architecture: String
        public let completedEpochs: Int
        public let seed: UInt64
        /// The settings the run was started with, as `TrainingSettings.summary` gives them.
        public let settings: String
    }

    /// The metadata keys.
    static let architectureKey = "fpgm_arch", epochKey = "fpgm_train_completed_epochs", seedKey = "fpgm_train_seed",
               settingsKey = "fpgm_train_settings", modeKey = "fpgm_mode"

    /// Writes `run` (atomically: to a temporary name, then renamed), with `extra` metadata.
    public static func write(_ run: TrainingRun, extra: [String: String] = [:], to path: String) throws(CheckpointError) {
        let network = run.network, shapes = network.architecture.stateDictShapes
        var tensors = CompactCheckpoint.tensors(CompactModel(weights: network.weights))
        for name in network.parameterNames {
            guard let velocity = run.optimizer.velocities[name] else { continue }
            tensors.append((optimizerPrefix + name, Tensor(validShape: shapes[name]!, scalars: velocity)))
        }
        var metadata = extra
        metadata[architectureKey] = network.architecture.name
        metadata[epochKey] = String(run.completedEpochs)
        metadata[seedKey] = String(run.settings.seed)
        metadata[settingsKey] = run.settings.summary
        metadata[modeKey] = run.selector == nil ? "trained" : "mask"
        try SafetensorsWriter.write(tensors, metadata: metadata, to: path)
    }

    /// The state of a checkpoint `write` made, or nil when the file is not one (no training metadata).
    public static func state(of checkpoint: Checkpoint) -> State? {
        let metadata = checkpoint.metadata
        guard let architecture = metadata[architectureKey], let epochs = metadata[epochKey].flatMap(Int.init),
              let seed = metadata[seedKey].flatMap(UInt64.init) else { return nil }
        return State(architecture: architecture, completedEpochs: epochs, seed: seed, settings: metadata[settingsKey] ?? "")
    }

    /// The momentum buffers of a checkpoint at `path`, by parameter name (empty before the first step);
    /// fails naming the tensor when a buffer is not one of the architecture's parameters or not of its size.
    public static func velocities(of checkpoint: Checkpoint, for architecture: Architecture, path: String)
        throws(CheckpointError) -> [String: [Float]] {
        let shapes = architecture.stateDictShapes
        var velocities = [String: [Float]]()
        for stored in checkpoint.tensors where stored.name.hasPrefix(optimizerPrefix) {
            let name = String(stored.name.dropFirst(optimizerPrefix.count))
            guard let shape = shapes[name], shape.reduce(1, *) == stored.tensor.count else {
                throw CheckpointError(file: path, problem: "holds the momentum buffer '\(stored.name)', which fits no parameter of \(architecture.name)")
            }
            velocities[name] = stored.tensor.scalars
        }
        return velocities
    }
}
