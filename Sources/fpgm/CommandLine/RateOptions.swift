import FPGM

/// The pruning-rate options, declared once for every command that prunes: `--rate-norm R` and
/// `--rate-dist D`, the official two steps (`fpgm select`, `fpgm prune`); `--rate P`, FPGM-only
/// (R = 1, D = P), or the two steps instead (`fpgm flops`); `--prune R,D` (`fpgm forward`, `fpgm evaluate`).
enum RateOptions {
    /// The two steps with their defaults (R = 1, D = 0.4); `criterion` names the second step's criterion.
    static func steps(criterion: String) -> [OptionSpec] {
        [.value("--rate-norm", "rate-norm", help: "Fraction kept by the norm step: Int(N * (1 - R)) smallest-L2 filters go first.", default: "1.0"),
         .value("--rate-dist", "rate-dist", help: "Fraction pruned by \(criterion) among the norm survivors: Int(N * D) filters.", default: "0.4")]
    }

    /// `--rate P`, or the two steps without defaults.
    static let rateOrSteps: [OptionSpec] = [
        .value("--rate", "rate", help: "Fraction of filters pruned in every layer (FPGM-only).", default: "0.4"),
        .value("--rate-norm", "rate-norm", help: "Fraction kept by the norm step (with --rate-dist, instead of --rate)."),
        .value("--rate-dist", "rate-dist", help: "Fraction pruned by the criterion step (with --rate-norm, instead of --rate)."),
    ]

    /// `--prune R,D`; `by` says how the command prunes, in its help.
    static func prune(by: String) -> OptionSpec {
        .value("--prune", "R,D", help: "Prune first\(by): rate-norm R and rate-dist D, as in 'fpgm select'.")
    }

    private static let rate = rateOrSteps[0], rateNorm = rateOrSteps[1], rateDist = rateOrSteps[2]
    private static let pair = prune(by: "")

    /// The rates of `--rate` or of the two steps, whichever the command declares and the user gave.
    static func rates(_ arguments: ParsedArguments) throws(CommandLineError) -> PruningRates {
        let spec = arguments.spec
        let offersRate = spec.options.contains { $0.name == rate.name }
        let split = arguments.given(rateNorm) != nil || arguments.given(rateDist) != nil
        if offersRate, split, arguments.given(rate) != nil { throw spec.usage("Give either '--rate' or '--rate-norm' with '--rate-dist', not both") }
        let rateNormValue = try arguments.number(rateNorm), rateDistValue = try arguments.number(rateDist), rateValue = offersRate ? try arguments.number(rate) : nil
        if !split, offersRate, let value = rateValue, !(0...1).contains(value) { throw spec.usage("--rate must lie in [0, 1], got \(value)") }
        do {
            if split || !offersRate { return try PruningRates(rateNorm: rateNormValue ?? 1.0, rateDist: rateDistValue ?? 0.0) }
            return try PruningRates(rateNorm: 1.0, rateDist: rateValue ?? 0.4)
        } catch {
            throw spec.usage(worded(error))
        }
    }

    /// The rates of `--prune R,D`, or nil without it.
    static func pruneRates(_ arguments: ParsedArguments) throws(CommandLineError) -> PruningRates? {
        guard let text = arguments.given(pair) else { return nil }
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let rateNorm = parts[0], let rateDist = parts[1] else {
            throw arguments.spec.usage("The value '\(text)' is invalid for '\(pair.synopsis)': give two numbers such as 0.7,0.1")
        }
        do { return try PruningRates(rateNorm: rateNorm, rateDist: rateDist) } catch { throw arguments.spec.usage(worded(error)) }
    }

    /// A selection error in the command line's terms: a rate out of range is named by its option.
    static func worded(_ error: SelectionError) -> String {
        guard case let .rateOutOfRange(step, value) = error else { return error.description }
        return "\((step == .norm ? rateNorm : rateDist).name) must lie in [0, 1], got \(value)"
    }
}
