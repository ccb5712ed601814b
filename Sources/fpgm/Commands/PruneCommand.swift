import FPGM
import Foundation
import Report

/// `fpgm prune`: select with FPGM and write the pruned weights as safetensors, either masked (the
/// official soft pruning: the filters zeroed, every shape kept) or compact (the filters removed).
enum PruneCommand {
    static let output = OptionSpec.value("-o", "out", help: "The .safetensors file to write (replaced atomically).")
    static let compact = OptionSpec.flag("--compact", help: "Remove the pruned filters (and the input channels they fed) instead of zeroing them; the file also names the kept filters and holds the removed channels' constant contributions.")
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a summary.")

    static let spec = CommandSpec(
        name: "prune",
        overview: "Prune a network with FPGM and write the weights as safetensors (masked or compact).",
        arguments: [("checkpoint", CheckpointArgument.help)],
        options: [RunnableArchitecture.option] + RateOptions.steps(criterion: "FPGM") + [
            Self.output,
            Self.compact,
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        guard let path = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        let architecture = try RunnableArchitecture.parse(arguments, spec: spec)
        guard let output = arguments.given(Self.output) else { throw spec.usage("Missing expected option '\(Self.output.synopsis)'") }
        let rates = try RateOptions.rates(arguments)
        let compact = arguments.has(Self.compact)

        let (resolved, checkpoint) = try CheckpointArgument.read(path)
        let weights = try RunnableArchitecture.bind(checkpoint, path: resolved, to: architecture)
        let plan = try RunnableArchitecture.plan(weights, rates: rates, path: resolved)
        let model = try RunnableArchitecture.pruned(weights, by: plan, compact: compact)
        var metadata = ["fpgm_arch": architecture.name, "fpgm_mode": compact ? "compact" : "mask",
                        "fpgm_rate_norm": "\(rates.rateNorm)", "fpgm_rate_dist": "\(rates.rateDist)",
                        "fpgm_source": URL(fileURLWithPath: resolved).lastPathComponent]
        if compact { metadata.merge(CompactCheckpoint.metadata(model)) { _, new in new } }
        let tensors = CompactCheckpoint.tensors(model)
        do { try SafetensorsWriter.write(tensors, metadata: metadata, to: output) } catch { throw .input(error.description) }

        let parameters = model.parameterCount
        let pruned = plan.prunedFilters, filters = plan.filters
        if arguments.has(Self.json) {
            return JSONValue.object([
                ("checkpoint", .string(path)), ("arch", .string(architecture.name)), ("mode", .string(compact ? "compact" : "mask")),
                ("rate_norm", .double(rates.rateNorm)), ("rate_dist", .double(rates.rateDist)), ("output", .string(output)),
                ("filters", .int(filters)), ("pruned_filters", .int(pruned)),
                ("parameters", .int(parameters)), ("baseline_parameters", .int(architecture.parameterCount)),
                ("tensors", .int(tensors.count)),
            ]).text(indent: 2) + "\n"
        }
        return "Wrote \(output): \(architecture.name), \(compact ? "compact" : "masked"), \(pruned) of \(filters) filters pruned, "
            + "\(parameters) of \(architecture.parameterCount) parameters.\n"
    }
}
