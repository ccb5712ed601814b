import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm toy ````: the two criteria on points you can see. Each "filter" is a point in the plane:
/// a tight group of similar ones (redundant: the others can stand in for them) and a few distinct ones
/// near the origin (small norms, but nothing else like them). The L2 norm prunes the points nearest the
/// origin; FPGM prunes the points with the smallest sum of distances to all the others, which sit in
/// the group, near the geometric median (shown, computed by Weiszfeld's iteration).
/// Exports `pruned`, `overlap` (points both criteria prune) and the median's coordinates.
public struct ToyDirective: Directive {
    public init() {}

    static let similar = ArgumentSpec("similar", .integer, default: .integer(9), help: "points in the tight group of similar filters")
    static let distinct = ArgumentSpec("distinct", .integer, default: .integer(4), help: "distinct points with small norms")
    static let rate = ArgumentSpec("rate", .fraction, default: .number(0.3), help: "fraction of the points pruned by each criterion")
    static let seed = ArgumentSpec("seed", .count, default: .integer(0), help: "seed of the points")

    public let spec = DirectiveSpec(name: "toy", summary: "norm against geometric median on points in the plane", arguments: [
        Self.similar,
        Self.distinct,
        Self.rate,
        Self.seed,
    ], exports: "pruned (points FPGM prunes), overlap (points both criteria prune), median_x and median_y (the geometric median)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let similar = arguments.integer(Self.similar)
        let distinct = arguments.integer(Self.distinct)
        let rate = arguments.number(Self.rate)
        let seed = arguments.integer(Self.seed)
        guard (2...200).contains(similar), (1...50).contains(distinct) else { throw DirectiveFailure("similar must be 2 to 200 and distinct 1 to 50") }
        var generator = SeededGenerator(seed: UInt64(seed), stream: "toy")
        var coordinates = [Float]()
        for _ in 0..<similar { coordinates += [Float(3 + 0.25 * generator.nextNormal()), Float(2 + 0.25 * generator.nextNormal())] }
        for index in 0..<distinct {
            let angle = 2 * Double.pi * (Double(index) + 0.5) / Double(distinct)
            coordinates += [Float(1.2 * cos(angle)), Float(1.2 * sin(angle))]
        }
        let points = FilterMatrix(rows: similar + distinct, columns: 2, scalars: coordinates)
        let rates = try PruningRates.cell(rateDist: rate)
        let byNorm = try FilterSelector(rates: rates, criterion: FilterNormCriterion(norm: .l2)).select(name: "toy", filters: points).pruned
        let byFPGM = try FilterSelector(rates: rates).select(name: "toy", filters: points).pruned
        let median = GeometricMedian().median(of: Array(0..<points.rows), in: points).point
        func series(_ name: String, _ indices: [Int]) -> Chart.Series {
            Chart.Series(name: name, points: indices.map { (Double(coordinates[2 * $0]), Double(coordinates[2 * $0 + 1])) })
        }
        let both = Set(byNorm).intersection(byFPGM)
        let kept = (0..<points.rows).filter { !byNorm.contains($0) && !byFPGM.contains($0) }
        let chart = Chart(id: "toy-\(seed)", title: "Filters as points: which each criterion prunes",
                          mark: .points([series("kept by both", kept), series("pruned by the L2 norm", byNorm.filter { !both.contains($0) }),
                                         series("pruned by FPGM", byFPGM.filter { !both.contains($0) }), series("pruned by both", Array(both).sorted()),
                                         Chart.Series(name: "geometric median", points: [(median[0], median[1])])]),
                          xAxis: Axis(covering: stride(from: 0, to: coordinates.count, by: 2).map { Double(coordinates[$0]) } + [0], label: "first weight"),
                          yAxis: Axis(covering: stride(from: 1, to: coordinates.count, by: 2).map { Double(coordinates[$0]) } + [0], label: "second weight"))
        let rows = (0..<points.rows).map { j -> [String] in
            let x = Double(coordinates[2 * j]), y = Double(coordinates[2 * j + 1])
            return [String(j), NumberFormat.fixed(x, digits: 2), NumberFormat.fixed(y, digits: 2), NumberFormat.fixed((x * x + y * y).squareRoot(), digits: 2),
                    byNorm.contains(j) ? "pruned" : "", byFPGM.contains(j) ? "pruned" : ""]
        }
        let table = Table(columns: ["Point", "x", "y", "Norm", "L2 norm", "FPGM"], alignments: [.right, .right, .right, .right, .left, .left], rows: rows)
        return CellResult(outputs: [.figure(svg: chart.svg), .table(table)], values: [
            ("pruned", .integer(byFPGM.count)), ("overlap", .integer(both.count)),
            ("median_x", .fixed(median[0], digits: 2)), ("median_y", .fixed(median[1], digits: 2)),
        ])
    }
}
