import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm flops ````: the FLOPs table of the paper's Tables 1, 2 and 4, one row per architecture
/// and pruning rate (FPGM-only rate P), with baseline MACs, pruned MACs and the reduction in percent.
/// Exports `<arch>_<rate>_reduction` (a fraction) and `<arch>_<rate>_reduction_percent` (one
/// decimal), `<arch>_<rate>_pruned_macs` and `<arch>_baseline_macs` (counts) for `{{label.key}}`.
public struct FLOPsDirective: Directive {
    public init() {}

    static let archs = ArgumentSpec("archs", .choices(Architecture.names), help: "architectures: \(Architecture.names.joined(separator: ", "))")
    static let rates = ArgumentSpec("rates", .fractions, default: .numbers([0.4]), help: "fractions of filters pruned in every layer")
    static let convention = ArgumentSpec("convention", .choice(FLOPsCount.Convention.allCases.map(\.rawValue)), default: .string("paper"), help: "paper: conv-only MACs with a continuous keep ratio; exact: integer filter counts, conv and fc")
    static let chart = ArgumentSpec("chart", .bool, default: .bool(false), help: "also draw the reductions as a bar chart")
    static let compare = ArgumentSpec("compare", .choice(["none", "paper"]), default: .string("none"), help: "paper: add the values the paper prints, whether they match, and its misprints")

    public let spec = DirectiveSpec(name: "flops", summary: "MACs of networks before and after pruning", arguments: [
        Self.archs,
        Self.rates,
        Self.convention,
        Self.chart,
        Self.compare,
    ], exports: "<arch>_baseline_macs and <arch>_<rate>_pruned_macs (counts), <arch>_<rate>_reduction (a fraction) and <arch>_<rate>_reduction_percent; with compare: paper also printed, matching and misprints (counts)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let names = arguments.strings(Self.archs)
        let rates = arguments.numbers(Self.rates)
        let chart = arguments.bool(Self.chart)
        let compare = arguments.string(Self.compare)
        let convention = arguments.choice(Self.convention, as: FLOPsCount.Convention.self)
        let architectures = try names.map { try Architecture.named($0) }
        let pruning = try rates.map { try PruningRates.cell(rateDist: $0) }
        let table: FLOPsTable
        do { table = try FLOPsTable(architectures: architectures, rates: pruning, convention: convention) } catch {
            throw DirectiveFailure(error.description)
        }
        var values = [(key: String, value: ExportedValue)]()
        for architecture in architectures {
            guard let first = table.rows.first(where: { $0.arch == architecture.name }) else { continue }
            values.append(("\(architecture.name)_baseline_macs", .count(Int(first.count.baseline.rounded()))))
        }
        for row in table.rows {
            let rate = NumberFormat.trimmed(row.rates.rateDist)
            values += ExportedValue.fractionAndPercent("\(row.arch)_\(rate)_reduction", row.count.reduction, percentDigits: 1)
            values.append(("\(row.arch)_\(rate)_pruned_macs", .count(Int(row.count.pruned.rounded()))))
        }
        let unit = convention == .paper
            ? "MACs per image, paper convention: convolutions only, continuous keep ratio."
            : "MACs per image, exact convention: integer filter counts, convolutions and classifier."
        var outputs: [CellOutput] = [.table(compare == "paper" ? comparison(table) : table.table), .text(unit)]
        if compare == "paper" {
            let misprints = table.rows.compactMap { row in PrintedFLOPs.entry(arch: row.arch, rate: row.rates.rateDist)?.misprint.map { "\(row.arch) at \(NumberFormat.trimmed(row.rates.rateDist * 100))%: \($0)" } }
            outputs += misprints.map { CellOutput.callout("Misprint in the paper, " + $0 + ".") }
            let printed = table.rows.filter { PrintedFLOPs.entry(arch: $0.arch, rate: $0.rates.rateDist) != nil }
            let matching = printed.filter { matches($0) }
            values.append(("printed", .integer(printed.count)))
            values.append(("matching", .integer(matching.count)))
            values.append(("misprints", .integer(misprints.count)))
        }
        if chart {
            let series = rates.map { rate in
                (name: "\(NumberFormat.trimmed(rate * 100))% pruned", values: architectures.map { architecture in
                    (table.rows.first { $0.arch == architecture.name && $0.rates.rateDist == rate }?.count.reduction ?? 0) * 100
                })
            }
            let bars = Chart(id: "flops-\(names.joined(separator: "-"))", title: "FLOPs reduction (\(convention.rawValue) convention)",
                             mark: .bars(categories: names, label: "network", series: series),
                             yAxis: Axis(covering: series.flatMap(\.values), label: "reduction (%)", includeZero: true))
            outputs.insert(.figure(svg: bars.svg), at: 0)
        }
        return CellResult(outputs: outputs, values: values)
    }
}

extension FLOPsDirective {
    /// The table with the paper's printed values beside the computed ones.
    func comparison(_ table: FLOPsTable) -> Table {
        let base = table.table
        return Table(columns: base.columns + ["Printed in", "Printed MACs", "Printed (%)", "Match"],
                     alignments: base.alignments + [.left, .right, .right, .left],
                     rows: zip(base.rows, table.rows).map { cells, row in
                         guard let entry = PrintedFLOPs.entry(arch: row.arch, rate: row.rates.rateDist) else { return cells + ["", "", "", ""] }
                         let mark = entry.misprint != nil ? "misprint" : matches(row) ? "yes" : "no"
                         return cells + [entry.table, entry.macs ?? "", NumberFormat.fixed(entry.reduction, digits: 1), mark]
                     })
    }

    /// Whether the computed reduction rounds to the printed one (and, where printed, the MACs too).
    func matches(_ row: FLOPsTable.Row) -> Bool {
        guard let entry = PrintedFLOPs.entry(arch: row.arch, rate: row.rates.rateDist), entry.misprint == nil else { return false }
        let reduction = (row.count.reduction * 1000).rounded() / 10 == entry.reduction
        guard let macs = entry.macs else { return reduction }
        return reduction && Self.scientific(row.count.pruned) == macs
    }

    /// Three significant digits in the paper's notation: 23430758 -> "2.34E7".
    static func scientific(_ value: Double) -> String {
        guard value > 0 else { return "0" }
        var exponent = Int(log10(value).rounded(.down))
        var mantissa = (value / pow(10, Double(exponent)) * 100).rounded() / 100
        if mantissa >= 10 { mantissa /= 10; exponent += 1 }
        return String(format: "%.2fE%d", mantissa, exponent)
    }
}
