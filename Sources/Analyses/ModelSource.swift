import Digest
import FPGM
import Foundation
import Notebook

/// The arguments every directive on a network shares, and the network they name.
enum ModelArguments {
    static let weights = ArgumentSpec("weights", .string, help: "a checkpoint (path relative to the notebook), hub:akamaster/<model>, or synthetic")
    static let arch = ArgumentSpec("arch", .choice([""] + Architecture.names), default: .string(""),
                                   help: "the network; inferred from the checkpoint when empty, needed for synthetic")
    /// The seed of synthetic weights; directives that draw more from it say so in their help.
    static let seed = ArgumentSpec("seed", .count, default: .integer(0), help: "seed of synthetic weights")

    /// The network a cell's `weights`, `arch` and `seed` name.
    static func load(_ arguments: [String: ArgumentValue], context: CellContext) throws -> ModelSource {
        try ModelSource.load(weights: arguments.string(weights), arch: arguments.string(arch), seed: arguments.integer(seed), context: context)
    }
}

/// The network a cell works on: trained weights from a file or `hub:akamaster/<model>`, or seeded
/// synthetic weights with the official initialisation (then the report says so in a callout).
struct ModelSource {
    let architecture: Architecture?
    let layers: [(name: String, filters: FilterMatrix)]
    /// Every tensor under the architecture's names.
    let weights: BoundWeights
    let synthetic: Bool
    /// How the report names the weights: the file or hub reference as written, or "synthetic (seed S)".
    let description: String
    /// The local file the weights were read from (nil for synthetic weights).
    var path: String? = nil

    /// Loads `weights` ("synthetic", a path relative to the notebook, or `hub:...`) for `arch`
    /// (required for synthetic weights; otherwise checked, or inferred when empty).
    static func load(weights: String, arch: String, seed: Int, context: CellContext) throws -> ModelSource {
        let architecture = arch.isEmpty ? nil : try Architecture.named(arch)
        if weights == "synthetic" {
            guard let architecture else { throw DirectiveFailure("synthetic weights need an arch") }
            let bound = BoundWeights.synthetic(architecture, seed: UInt64(seed))
            return ModelSource(architecture: architecture, layers: bound.prunableLayers, weights: bound,
                               synthetic: true, description: "synthetic (seed \(seed))")
        }
        let path = HubWeights.isReference(weights) ? try context.input(try HubWeights().resolve(weights)) : try context.input(weights)
        let checkpoint = try checkpoints.value(forFileAt: path) { () throws(CheckpointError) in try Checkpoint.read(path: path) }
        let bound = try architecture.map { try $0.bind(checkpoint) } ?? (try Architecture.infer(from: checkpoint))
        return ModelSource(architecture: bound.architecture, layers: bound.prunableLayers, weights: bound, synthetic: false,
                           description: weights, path: path)
    }

    /// The `arch` argument every directive on a network takes: checked against the known names when the
    /// notebook is checked.
    /// Checkpoints already read by this process: a notebook reads the same network for many cells.
    private static let checkpoints = FileVersionMemo<Checkpoint>()

    /// The layers named in `wanted`, in that order, or every prunable layer when it is empty; fails
    /// naming a layer the network does not have.
    func layers(named wanted: [String]) throws -> [(name: String, filters: FilterMatrix)] {
        let names = layers.map(\.name)
        if let unknown = wanted.first(where: { !names.contains($0) }) {
            throw DirectiveFailure("no conv layer '\(unknown)' (layers: \(names.prefix(6).joined(separator: ", "))\(names.count > 6 ? ", ..." : ""))")
        }
        return wanted.isEmpty ? layers : wanted.map { name in layers.first { $0.name == name }! }
    }

    /// The plan of `criterion` at `rates` for `layers`, its failures worded in the notebook's terms.
    static func plan(_ layers: [(name: String, filters: FilterMatrix)], rates: PruningRates,
                     criterion: any FilterCriterion = DistanceSumCriterion()) throws -> PruningPlan {
        do { return try FilterSelector(rates: rates, criterion: criterion).plan(for: layers) } catch {
            throw DirectiveFailure(error.description)
        }
    }

    /// The callout a report shows when the weights are synthetic.
    var callout: String? {
        guard synthetic, let architecture else { return nil }
        return "Synthetic weights: \(architecture.name) drawn with the official initialisation (\(description)), not a trained network."
    }
}
