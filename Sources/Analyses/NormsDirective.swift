import FPGM
import Notebook
import Report

/// ```` ```fpgm norms ````: the L2 norms of every filter, per conv layer (Sec. 3.2 and Fig. 3 of the
/// paper): min, max, mean, std, std / mean (the spread requirement 1 asks for) and min / max (the
/// near-zero minimum requirement 2 asks for); with `chart`, the density of one layer's norms with a rug.
/// Exports `<layer>_min`, `<layer>_max`, `<layer>_mean`, `<layer>_std` and `layers`.
public struct NormsDirective: Directive {
    public init() {}

    static let layers = ArgumentSpec("layers", .choices(Architecture.convolutionNames), default: .strings([]), help: "the layers to show (default: every prunable conv layer)")
    static let chart = ArgumentSpec("chart", .choice(["none", "linear", "log"]), default: .string("none"), help: "draw the density of the first listed layer's norms, on a linear or log axis")

    public let spec = DirectiveSpec(name: "norms", summary: "filter-norm statistics per conv layer", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed,
        Self.layers,
        Self.chart,
    ], exports: "layers (a count) and <layer>_min, <layer>_max, <layer>_mean, <layer>_std of the filters' L2 norms")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let wanted = arguments.strings(Self.layers)
        let chart = arguments.string(Self.chart)
        let model = try ModelArguments.load(arguments, context: context)
        let chosen = try model.layers(named: wanted)
        let summaries = chosen.map { NormSummary(name: $0.name, filters: $0.filters) }
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if chart != "none", let first = summaries.first {
            outputs.append(.figure(svg: Chart.density(id: "norms-\(first.name)", title: "L2 norms of \(first.name) (\(model.description))",
                                                      values: first.l2, scale: chart == "log" ? .log : .linear, xLabel: "L2 norm").svg))
        }
        outputs.append(.table(NormSummary.table(summaries)))
        var values: [(key: String, value: ExportedValue)] = [("layers", .integer(summaries.count))]
        for s in summaries {
            values += [("\(s.name)_min", format(s.minimum)), ("\(s.name)_max", format(s.maximum)),
                       ("\(s.name)_mean", format(s.mean)), ("\(s.name)_std", format(s.deviation))]
        }
        return CellResult(outputs: outputs, values: values)
    }

    private func format(_ value: Double) -> ExportedValue { .trimmed(value, digits: 4) }
}
