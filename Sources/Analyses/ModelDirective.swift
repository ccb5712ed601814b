import Digest
import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm model ````: the network a notebook studies, summarised: architecture, conv layers,
/// parameters, MACs (exact convention, per image), where the weights come from and their SHA-256.
/// With `fallback: synthetic`, weights that cannot be found are replaced by seeded synthetic ones, and
/// the report says so in a callout (never silently). Exports `arch`, `parameters`, `macs` (counts), `sha256`,
/// `synthetic` (yes or no; a boolean in JSON).
public struct ModelDirective: Directive {
    public init() {}

    static let fallback = ArgumentSpec("fallback", .choice(["none", "synthetic"]), default: .string("none"), help: "synthetic: when the weights cannot be found, use seeded synthetic weights (needs arch) and say so")

    public let spec = DirectiveSpec(name: "model", summary: "the network studied, and where its weights come from", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed,
        Self.fallback,
    ], exports: "arch, parameters and macs (counts), sha256, and synthetic (yes or no)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let weights = arguments.string(ModelArguments.weights)
        let arch = arguments.string(ModelArguments.arch)
        let seed = arguments.integer(ModelArguments.seed)
        let fallback = arguments.string(Self.fallback)
        var notes = [String]()
        let model: ModelSource
        do {
            model = try ModelSource.load(weights: weights, arch: arch, seed: seed, context: context)
        } catch where fallback == "synthetic" && weights != "synthetic" && !arch.isEmpty {
            notes.append("The weights '\(weights)' could not be loaded (\(error)); this report uses synthetic weights instead.")
            model = try ModelSource.load(weights: "synthetic", arch: arch, seed: seed, context: context)
        }
        guard let architecture = model.architecture else { throw DirectiveFailure("the architecture of '\(weights)' is unknown") }
        let macs = ExactFLOPsCounter(architecture: architecture).macs { _ in nil }
        let digest = try model.path.map { try SHA256Digest.memoized(fileAt: $0).hex } ?? "none (synthetic)"
        let table = Table(columns: ["Property", "Value"], alignments: [.left, .left], rows: [
            ["Architecture", architecture.name],
            ["Prunable conv layers", String(architecture.prunableConvolutions.count)],
            ["Parameters", NumberFormat.grouped(Double(architecture.parameterCount))],
            ["MACs per image (conv + fc)", NumberFormat.grouped(Double(macs))],
            ["Weights", model.description],
            ["SHA-256", digest],
        ])
        var outputs = notes.map(CellOutput.callout)
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if !model.synthetic && HubWeights.isReference(weights) {
            outputs.append(.text("Trained weights by Yerlan Idelbayev (akamaster/pytorch_resnet_cifar10, BSD 2-Clause licence)."))
        }
        outputs.append(.table(table))
        return CellResult(outputs: outputs, values: [
            ("arch", .text(architecture.name)), ("parameters", .count(architecture.parameterCount)),
            ("macs", .count(macs)), ("sha256", .text(digest)), ("synthetic", .flag(model.synthetic)),
        ])
    }
}
