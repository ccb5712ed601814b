import FPGM

/// The network of `fpgm forward` and `fpgm prune`: `--arch`, the checkpoint's tensors bound to it, and
/// those weights pruned.
enum RunnableArchitecture {
    static let option = OptionSpec.value("--arch", "arch", help: "The network (\(Architecture.names.joined(separator: ", "))).")

    /// How `--prune` prunes: masked or compact.
    static let modeOption = OptionSpec.value("--mode", "mode", help: "How --prune prunes: zero the filters (mask, the official soft pruning) or remove them (compact).",
                                             default: "mask", values: ["mask", "compact"])

    /// Where option-A shortcuts put their input channels.
    static let shortcutOption = OptionSpec.value(
        "--shortcut", "placement",
        help: "Where option-A shortcuts put the input channels: among zeros on both sides (akamaster's weights) or before the zeros (the FPGM authors' code).",
        default: "symmetric", values: ShortcutPlacement.allCases.map(\.rawValue))

    /// The placement `--shortcut` names (symmetric by default).
    static func shortcut(_ arguments: ParsedArguments, spec: CommandSpec) -> ShortcutPlacement {
        arguments.choice(shortcutOption, as: ShortcutPlacement.self) ?? .symmetric
    }

    /// The architecture `--arch` names; a usage error when it is missing or unknown.
    static func parse(_ arguments: ParsedArguments, spec: CommandSpec) throws(CommandLineError) -> Architecture {
        guard let name = arguments.given(option) else { throw spec.usage("Missing expected option '\(option.synopsis)'") }
        let architecture: Architecture
        do { architecture = try Architecture.named(name) } catch { throw spec.usage(error.description) }
        return architecture
    }

    /// The checkpoint's tensors under the architecture's names; an input error naming the file otherwise.
    static func bind(_ checkpoint: Checkpoint, path: String, to architecture: Architecture) throws(CommandLineError) -> BoundWeights {
        do { return try architecture.bind(checkpoint) } catch { throw .input("\(path): \(error.description)") }
    }

    /// The plan of `criterion` (FPGM by default) for the weights at `rates`; values that cannot be ranked
    /// are the file's fault (exit 3), a plan that empties a layer the request's (exit 1).
    static func plan(_ weights: BoundWeights, rates: PruningRates, criterion: any FilterCriterion = DistanceSumCriterion(),
                     path: String) throws(CommandLineError) -> PruningPlan {
        do { return try FilterSelector(rates: rates, criterion: criterion).plan(for: weights.prunableLayers) } catch {
            if case .everyFilterPruned = error { throw .failure(error.description) }
            throw .input("\(path): \(error.description)")
        }
    }

    /// The weights pruned by `plan`: its filters zeroed (masked, the official soft pruning) or removed
    /// (`compact`); a plan that prunes a whole layer cannot be compact, which is a failure (exit 1).
    static func pruned(_ weights: BoundWeights, by plan: PruningPlan, compact: Bool) throws(CommandLineError) -> CompactModel {
        do { return compact ? try CompactModel(weights: weights, plan: plan) : CompactModel(weights: weights.masked(by: plan)) } catch {
            throw .failure(error.description)
        }
    }
}
