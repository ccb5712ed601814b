import FPGM
import Notebook
import Report

/// ```` ```fpgm select ````: which filters each criterion prunes in every conv layer, with the official
/// two steps (`rate_norm`, then `rate_dist` among the norm survivors), and how much the criteria agree:
/// per layer, the number of filters both the first criterion and each other one prune.
/// Exports `rate_norm` and `rate_dist` (fractions, and `..._percent`), `<criterion>_pruned` (total
/// filters pruned) and `overlap_<a>_<b>` (shared pruned filters, as a fraction of the first criterion's,
/// and `..._percent`) for every other criterion b.
public struct SelectDirective: Directive {
    public init() {}

    static let rateNorm = ArgumentSpec("rate_norm", .fraction, default: .number(1.0), help: "fraction kept by the norm step")
    static let rateDist = ArgumentSpec("rate_dist", .fraction, default: .number(0.4), help: "fraction pruned by the criterion among the norm survivors")
    static let criteria = ArgumentSpec("criteria", .choices(CriterionKind.allCases.map(\.rawValue)), default: .strings(["fpgm", "l2"]), help: "criteria to compare: fpgm, l2, l1, random, gm-exact")
    static let distance = ArgumentSpec("distance", .choice(FilterDistance.allCases.map(\.rawValue)), default: .string("euclidean"), help: "the distance of fpgm")
    static let layers = ArgumentSpec("layers", .choices(Architecture.convolutionNames), default: .strings([]), help: "the layers to show (default: every prunable conv layer)")

    public let spec = DirectiveSpec(name: "select", summary: "filters chosen by each criterion, and their overlap", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed.with(help: "seed of synthetic weights and of the random criterion"),
        Self.rateNorm,
        Self.rateDist,
        Self.criteria,
        Self.distance,
        Self.layers,
    ], exports: "rate_norm and rate_dist (fractions), <criterion>_pruned (filters pruned in all), overlap_<a>_<b> (the share of the first criterion's pruned filters that criterion b prunes too), the fractions each also as ..._percent")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let seed = arguments.integer(ModelArguments.seed)
        let rateNorm = arguments.number(Self.rateNorm)
        let rateDist = arguments.number(Self.rateDist)
        let kinds = arguments.choices(Self.criteria, as: CriterionKind.self)
        let wanted = arguments.strings(Self.layers)
        let distance = arguments.choice(Self.distance, as: FilterDistance.self)
        guard !kinds.isEmpty else { throw DirectiveFailure("criteria lists no criterion") }
        let rates = try PruningRates.cell(rateNorm: rateNorm, rateDist: rateDist)
        let model = try ModelArguments.load(arguments, context: context)
        let layers = try model.layers(named: wanted)
        let plans = try kinds.map { kind in
            try FilterSelector(rates: rates, criterion: kind.criterion(distance: distance, seed: UInt64(seed))).plan(for: layers)
        }
        let first = kinds[0].rawValue
        var rows = [[String]]()
        for (index, layer) in layers.enumerated() {
            let reference = Set(plans[0].layers[index].pruned)
            var row = [layer.name, String(layer.filters.rows)]
            row += plans.map { String($0.layers[index].pruned.count) }
            row += plans.dropFirst().map { String(reference.intersection($0.layers[index].pruned).count) }
            row.append(NumberFormat.indexRanges(plans[0].layers[index].pruned))
            rows.append(row)
        }
        let columns = ["Layer", "Filters"] + kinds.map { "Pruned by \($0.rawValue)" }
            + kinds.dropFirst().map { "Also by \(first) and \($0.rawValue)" } + ["Pruned by \(first)"]
        let table = Table(columns: columns, alignments: [.left] + [Table.Alignment](repeating: .right, count: columns.count - 2) + [.left], rows: rows)
        var values: [(key: String, value: ExportedValue)] = [
            ("rate_norm", .trimmed(rateNorm)), ("rate_norm_percent", .trimmed(rateNorm * 100)),
            ("rate_dist", .trimmed(rateDist)), ("rate_dist_percent", .trimmed(rateDist * 100)),
        ]
        for (kind, plan) in zip(kinds, plans) {
            values.append(("\(kind.rawValue)_pruned", .integer(plan.prunedFilters)))
        }
        let total = plans[0].prunedFilters
        for (kind, plan) in zip(kinds.dropFirst(), plans.dropFirst()) {
            let shared = zip(plans[0].layers, plan.layers).reduce(0) { $0 + Set($1.0.pruned).intersection($1.1.pruned).count }
            values += ExportedValue.fractionAndPercent("overlap_\(first)_\(kind.rawValue)", total == 0 ? 0 : Double(shared) / Double(total), percentDigits: 1)
        }
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if distance != .euclidean && kinds.contains(.fpgm) {
            outputs.append(.callout("The official code's distance switch never took effect (a Python 'or' that is always true), so its \(distance.rawValue) ablation used Euclidean distances; this one uses \(distance.rawValue)."))
        }
        outputs.append(.table(table))
        return CellResult(outputs: outputs, values: values)
    }
}
