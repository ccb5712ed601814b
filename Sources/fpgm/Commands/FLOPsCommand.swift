import Analyses
import FPGM
import Report

/// `fpgm flops`: multiply-accumulates of a network, unpruned and pruned, in the paper's or the exact convention.
enum FLOPsCommand {
    static let arch = OptionSpec.value("--arch", "arch", help: "The network: \(Architecture.names.joined(separator: ", ")).")
    static let convention = OptionSpec.value("--convention", "convention", help: "paper: conv-only MACs with a continuous keep ratio, as the paper counts; exact: integer filter counts, conv and fc MACs.", default: "paper", values: FLOPsCount.Convention.allCases.map(\.rawValue))
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a table.")

    static let spec = CommandSpec(
        name: "flops",
        overview: "Count the multiply-accumulates (MACs) of a network before and after pruning.",
        options: [Self.arch] + RateOptions.rateOrSteps + [
            Self.convention,
            Self.json,
        ],
        usage: "--arch <arch> [--rate <rate> | --rate-norm <rate-norm> --rate-dist <rate-dist>] [--convention <convention>] [--json]")

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        guard let archName = arguments.given(Self.arch) else { throw spec.usage("Missing expected argument '\(Self.arch.synopsis)'") }
        let architecture: Architecture
        do { architecture = try Architecture.named(archName) } catch { throw spec.usage(error.description) }
        let rates = try RateOptions.rates(arguments)
        let convention = FLOPsCount.Convention(rawValue: arguments.value(Self.convention) ?? "paper") ?? .paper
        let table: FLOPsTable
        do { table = try FLOPsTable(architectures: [architecture], rates: [rates], convention: convention) } catch { throw .failure(error.description) }
        let count = table.rows[0].count
        guard arguments.has(Self.json) else {
            let unit = convention == .paper
                ? "MACs per image, paper convention: convolutions only, continuous keep ratio r = \(NumberFormat.trimmed(rates.keepRatio))."
                : "MACs per image, exact convention: integer filter counts, convolutions and classifier."
            return table.table.markdown + "\n" + unit + "\n"
        }
        var members: [(String, JSONValue)] = [
            ("arch", .string(architecture.name)),
            ("convention", .string(convention.rawValue)),
            ("unit", .string("MACs")),
            ("rate_norm", .double(rates.rateNorm)),
            ("rate_dist", .double(rates.rateDist)),
            ("baseline_macs", .int(Int(count.baseline))),
            ("pruned_macs", convention == .exact ? .int(Int(count.pruned)) : .double(count.pruned)),
            ("reduction", .double(count.reduction)),
            ("baseline_params", .int(architecture.parameterCount)),
        ]
        if convention == .exact {
            members.append(("pruned_params", .int(ExactFLOPsCounter(architecture: architecture).parameters(rates: rates))))
        }
        return JSONValue.object(members).text(indent: 2) + "\n"
    }
}
