import FPGM

/// The pruning-rate options shared by the commands: `--rate P` means FPGM-only (R = 1, D = P);
/// `--rate-norm R --rate-dist D` give both steps.
enum RateOptions {
    static func rates(_ arguments: ParsedArguments, spec: CommandSpec) throws(CommandLineError) -> PruningRates {
        let explicitRate = arguments.values["--rate"] != nil
        let split = arguments.values["--rate-norm"] != nil || arguments.values["--rate-dist"] != nil
        if explicitRate && split { throw spec.usage("Give either '--rate' or '--rate-norm' with '--rate-dist', not both") }
        do {
            if split || spec.options.first(where: { $0.name == "--rate" }) == nil {
                return try PruningRates(rateNorm: try arguments.number("--rate-norm", in: spec) ?? 1.0,
                                        rateDist: try arguments.number("--rate-dist", in: spec) ?? 0.0)
            }
            let rate = try arguments.number("--rate", in: spec) ?? 0.4
            guard (0...1).contains(rate) else { throw spec.usage("--rate must lie in [0, 1], got \(rate)") }
            return try PruningRates(rateNorm: 1.0, rateDist: rate)
        } catch let error as SelectionError {
            throw spec.usage(worded(error))
        } catch let error as CommandLineError {
            throw error
        } catch {
            throw spec.usage("\(error)")
        }
    }

    /// A selection error in the command line's terms: a rate out of range is named by its option.
    static func worded(_ error: SelectionError) -> String {
        guard case let .rateOutOfRange(step, value) = error else { return error.description }
        return "\(step == .norm ? "--rate-norm" : "--rate-dist") must lie in [0, 1], got \(value)"
    }
}
