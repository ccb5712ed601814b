import FPGM
import Notebook
import Report

/// ```` ```fpgm flops ````: the FLOPs table of the paper's Tables 1, 2 and 4, one row per architecture
/// and pruning rate (FPGM-only rate P), with baseline MACs, pruned MACs and the reduction in percent.
/// Exports `<arch>_<rate>_reduction` (percent, one decimal), `<arch>_<rate>_pruned_macs` and
/// `<arch>_baseline_macs` for `{{label.key}}`.
public struct FLOPsDirective: Directive {
    public init() {}

    public let spec = DirectiveSpec(name: "flops", summary: "MACs of networks before and after pruning", arguments: [
        ArgumentSpec("archs", .strings, help: "architectures: \(Architecture.names.joined(separator: ", "))"),
        ArgumentSpec("rates", .numbers, default: .numbers([0.4]), help: "fractions of filters pruned in every layer"),
        ArgumentSpec("convention", .choice(FLOPsCount.Convention.allCases.map(\.rawValue)), default: .string("paper"),
                     help: "paper: conv-only MACs with a continuous keep ratio; exact: integer filter counts, conv and fc"),
        ArgumentSpec("chart", .bool, default: .bool(false), help: "also draw the reductions as a bar chart"),
    ])

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        guard case let .strings(names)? = arguments["archs"], case let .numbers(rates)? = arguments["rates"],
              case let .string(conventionName)? = arguments["convention"], case let .bool(chart)? = arguments["chart"],
              let convention = FLOPsCount.Convention(rawValue: conventionName) else {
            throw DirectiveFailure("the flops arguments did not reach the directive")
        }
        let architectures = try names.map { try Architecture.named($0) }
        let table = FLOPsTable(architectures: architectures, rates: try rates.map { try PruningRates(rateDist: $0) }, convention: convention)
        var values = [(key: String, value: String)]()
        for architecture in architectures {
            guard let first = table.rows.first(where: { $0.arch == architecture.name }) else { continue }
            values.append(("\(architecture.name)_baseline_macs", NumberFormat.grouped(first.count.baseline)))
        }
        for row in table.rows {
            let rate = NumberFormat.trimmed(row.rates.rateDist)
            values.append(("\(row.arch)_\(rate)_reduction", NumberFormat.fixed(row.count.reduction * 100, digits: 1)))
            values.append(("\(row.arch)_\(rate)_pruned_macs", NumberFormat.grouped(row.count.pruned)))
        }
        let unit = convention == .paper
            ? "MACs per image, paper convention: convolutions only, continuous keep ratio."
            : "MACs per image, exact convention: integer filter counts, convolutions and classifier."
        var outputs: [CellOutput] = [.table(table.table), .text(unit)]
        if chart {
            let series = rates.map { rate in
                (name: "\(NumberFormat.trimmed(rate * 100))% pruned", values: architectures.map { architecture in
                    (table.rows.first { $0.arch == architecture.name && $0.rates.rateDist == rate }?.count.reduction ?? 0) * 100
                })
            }
            let bars = Chart(id: "flops-\(names.joined(separator: "-"))", title: "FLOPs reduction (\(conventionName) convention)",
                             mark: .bars(categories: names, series: series),
                             yAxis: Axis(covering: series.flatMap(\.values), label: "reduction (%)", includeZero: true))
            outputs.insert(.figure(svg: bars.svg), at: 0)
        }
        return CellResult(outputs: outputs, values: values)
    }
}

/// A directive's failure, shown as the cell's error.
public struct DirectiveFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Every directive notebooks can use.
public enum Directives {
    public static let all: [any Directive] = [FLOPsDirective(), NormsDirective(), SelectDirective(), EquivalenceDirective(), FreezeDirective()]
}
