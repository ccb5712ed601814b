import FPGM
import Foundation
import Report

/// `fpgm select`: which filters a criterion prunes in every conv layer of a checkpoint (or of
/// seeded synthetic weights), with the official two-step semantics.
enum SelectCommand {
    static let arch = OptionSpec.value("--arch", "arch", help: "The network (\(Architecture.names.joined(separator: ", "))); inferred from the tensors when omitted. When no architecture fits, every 4-D tensor except projection shortcuts ('downsample') is pruned.")
    static let criterion = OptionSpec.value("--criterion", "criterion", help: "How the second step scores filters.", default: "fpgm", values: CriterionKind.allCases.map(\.rawValue))
    static let distance = OptionSpec.value("--distance", "distance", help: "The distance of the fpgm criterion.", default: "euclidean", values: FilterDistance.allCases.map(\.rawValue))
    static let synthetic = OptionSpec.flag("--synthetic", help: "Use seeded synthetic weights with the official initialisation instead of a checkpoint (needs --arch).")
    static let seed = OptionSpec.value("--seed", "seed", help: "Seed of --synthetic and of the random criterion.", default: "0")
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a table.")

    static let spec = CommandSpec(
        name: "select",
        overview: "Choose the filters to prune in every conv layer of a checkpoint.",
        arguments: [("checkpoint", CheckpointArgument.help + " None with --synthetic.")],
        options: [Self.arch] + RateOptions.steps(criterion: "the criterion") + [
            Self.criterion,
            Self.distance,
            Self.synthetic,
            Self.seed,
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        let rates = try RateOptions.rates(arguments)
        let seedText = arguments.value(Self.seed) ?? "0"
        guard let seed = UInt64(seedText) else { throw spec.usage("The value '\(seedText)' is invalid for '--seed <seed>': not a non-negative integer") }
        var architecture: Architecture?
        if let name = arguments.given(Self.arch) {
            do { architecture = try Architecture.named(name) } catch { throw spec.usage(error.description) }
        }
        let synthetic = arguments.has(Self.synthetic)
        let layers: [(name: String, filters: FilterMatrix)]
        let source: [(String, JSONValue)]
        switch (synthetic, arguments.positionals.first, architecture) {
        case (true, nil, let architecture?):
            let weights = architecture.syntheticWeights(seed: seed)
            layers = architecture.prunableConvolutions.map { ($0.name, weights["\($0.name).weight"]!.filters) }
            source = [("weights", .string("synthetic")), ("seed", .int(Int(seed)))]
        case (true, nil, nil):
            throw spec.usage("'--synthetic' needs '--arch <arch>'")
        case (true, _?, _):
            throw spec.usage("Give a checkpoint or '--synthetic', not both")
        case (false, nil, _):
            throw spec.usage("Missing expected argument '<checkpoint>'")
        case (false, let argument?, _):
            let (path, checkpoint) = try CheckpointArgument.read(argument)
            do { (layers, architecture) = try PrunableLayers.find(in: checkpoint, architecture: architecture) } catch {
                throw .input("\(path): \(error.description)")
            }
            source = [("checkpoint", .string(argument)), ("format", .string(checkpoint.format.rawValue))]
        }
        let kind = CriterionKind(rawValue: arguments.value(Self.criterion) ?? "fpgm") ?? .fpgm
        let distance = FilterDistance(rawValue: arguments.value(Self.distance) ?? "euclidean") ?? .euclidean
        let selector = FilterSelector(rates: rates, criterion: kind.criterion(distance: distance, seed: seed))
        let plan: PruningPlan
        do { plan = try selector.plan(for: layers) } catch {
            // Values that cannot be ranked are a fault of the input file.
            if case .nonFiniteValues = error, let path = arguments.positionals.first { throw .input("\(path): \(error.description)") }
            throw .failure(error.description)
        }

        guard arguments.has(Self.json) else { return text(plan) }
        let layerValues = plan.layers.map { layer in
            JSONValue.object([
                ("name", .string(layer.name)),
                ("filters", .int(layer.filters)),
                ("pruned", .array(layer.pruned.map(JSONValue.int))),
                ("pruned_norm", .array(layer.prunedByNorm.map(JSONValue.int))),
                ("pruned_dist", .array(layer.prunedByDistance.map(JSONValue.int))),
            ])
        }
        let members: [(String, JSONValue)] = source + [
            ("arch", architecture.map { .string($0.name) } ?? .null),
            ("criterion", .string(kind.rawValue)),
            ("distance", .string(distance.rawValue)),
            ("rate_norm", .double(rates.rateNorm)),
            ("rate_dist", .double(rates.rateDist)),
            ("layers", .array(layerValues)),
        ]
        return JSONValue.object(members).text(indent: 2) + "\n"
    }

    /// The plan as a table: one row per layer with the pruned filter indices of each step.
    static func text(_ plan: PruningPlan) -> String {
        let table = Table(
            columns: ["Layer", "Filters", "Kept", "Pruned by norm", "Pruned by criterion"],
            alignments: [.left, .right, .right, .left, .left],
            rows: plan.layers.map { layer in
                [layer.name, String(layer.filters), String(layer.kept.count),
                 layer.prunedByNorm.map(String.init).joined(separator: " "),
                 layer.prunedByDistance.map(String.init).joined(separator: " ")]
            })
        return table.markdown
    }
}
