import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm freeze ````: why the official code's masks never change after the first selection
/// (its issues #19 and #46). The chosen filters are zeroed, as the mask does; the others move a little,
/// as training moves them (Gaussian noise of `noise` times each filter's RMS value, seeded); selection
/// runs again. Zeroed filters have norm 0 and distance 0 to each other, so the same ones are chosen.
/// Exports `layers`, `unchanged_layers` and `rounds`.
public struct FreezeDirective: Directive {
    public init() {}

    static let rateNorm = ArgumentSpec("rate_norm", .fraction, default: .number(1.0), help: "fraction kept by the norm step")
    static let rateDist = ArgumentSpec("rate_dist", .fraction, default: .number(0.4), help: "fraction pruned by FPGM among the norm survivors")
    static let noise = ArgumentSpec("noise", .number, default: .number(0.05), help: "the kept filters' perturbation, relative to their RMS value")
    static let rounds = ArgumentSpec("rounds", .integer, default: .integer(3), help: "how many times to perturb and select again")

    public let spec = DirectiveSpec(name: "freeze", summary: "the official mask freeze: zeroed filters are chosen again", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed.with(help: "seed of synthetic weights and of the noise"),
        Self.rateNorm,
        Self.rateDist,
        Self.noise,
        Self.rounds,
    ], exports: "layers, unchanged_layers and rounds (counts)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let seed = arguments.integer(ModelArguments.seed)
        let rateNorm = arguments.number(Self.rateNorm)
        let rateDist = arguments.number(Self.rateDist)
        let noise = arguments.number(Self.noise)
        let rounds = arguments.integer(Self.rounds)
        guard (1...20).contains(rounds), noise >= 0 else { throw DirectiveFailure("rounds must be 1 to 20 and noise at least 0") }
        let model = try ModelArguments.load(arguments, context: context)
        let selector = FilterSelector(rates: try PruningRates.cell(rateNorm: rateNorm, rateDist: rateDist))
        var generator = SeededGenerator(seed: UInt64(seed), stream: "freeze")
        var rows = [[String]](), unchanged = 0
        for (name, filters) in model.layers {
            let first = try selector.select(name: name, filters: filters)
            var scalars = filters.scalars
            var same = 0
            for _ in 0..<rounds {
                for j in 0..<filters.rows {
                    let range = (j * filters.columns)..<((j + 1) * filters.columns)
                    if first.pruned.contains(j) {
                        for k in range { scalars[k] = 0 }
                    } else {
                        let rms = (range.reduce(0.0) { $0 + Double(scalars[$1]) * Double(scalars[$1]) } / Double(max(1, filters.columns))).squareRoot()
                        for k in range { scalars[k] += Float(noise * rms * generator.nextNormal()) }
                    }
                }
                let again = try selector.select(name: name, filters: FilterMatrix(rows: filters.rows, columns: filters.columns, scalars: scalars))
                if again.pruned == first.pruned { same += 1 }
            }
            if same == rounds { unchanged += 1 }
            rows.append([name, String(filters.rows), String(first.pruned.count), "\(same) of \(rounds)"])
        }
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        outputs.append(.table(Table(columns: ["Layer", "Filters", "Pruned", "Same filters chosen again"],
                                    alignments: [.left, .right, .right, .right], rows: rows)))
        return CellResult(outputs: outputs, values: [("layers", .integer(rows.count)), ("unchanged_layers", .integer(unchanged)), ("rounds", .integer(rounds))])
    }
}
