import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm equivalence ````: the paper's Eq. 4-9 on every layer. g(x) = sum_j ||x - F_j|| (the
/// candidate counted, with distance 0) and g'(x) = sum_{j: F_j != x} ||x - F_j|| are computed by
/// separate code (the Gram form G_xx + G_yy - 2 G_xy; each distance from its differences, x skipped),
/// both in plain Float64 without BLAS, so the table's rounding differences are the same on every
/// processor and BLAS kernel; their largest relative difference and their argmins are reported. Then the exact geometric median x_GM (Eq. 2, Weiszfeld)
/// and the filter nearest it (Eq. 3) are compared with the relaxed choice argmin g (Eq. 4): the nearest
/// filter's rank by g, and how much farther from x_GM the relaxed choice is.
/// Exports `max_relative_difference`, `identical_argmins`, `layers` and `nearest_is_relaxed_choice`.
public struct EquivalenceDirective: Directive {
    public init() {}

    static let layers = ArgumentSpec("layers", .choices(Architecture.convolutionNames), default: .strings([]), help: "the layers to show (default: every prunable conv layer)")

    public let spec = DirectiveSpec(name: "equivalence", summary: "g(x) = g'(x), and the relaxed choice against the exact geometric median", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed,
        Self.layers,
    ], exports: "layers, identical_argmins and nearest_is_relaxed_choice (counts of layers) and max_relative_difference (the largest |g - g'| / g)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let wanted = arguments.strings(Self.layers)
        let model = try ModelArguments.load(arguments, context: context)
        let layers = try model.layers(named: wanted)
        let results = layers.map { LayerEquivalence(name: $0.name, filters: $0.filters) }
        let table = Table(
            columns: ["Layer", "Filters", "max |g - g'| / g", "argmin g", "argmin g'", "Weiszfeld iterations",
                      "Nearest to x_GM", "Its rank by g", "Relaxed / nearest distance to x_GM"],
            alignments: [.left] + [Table.Alignment](repeating: .right, count: 8),
            rows: results.map { r in
                [r.name, String(r.filters), String(format: "%.2e", r.maxRelativeDifference), String(r.argminG), String(r.argminGPrime),
                 String(r.iterations), String(r.nearest), String(r.nearestRank), String(format: "%.4f", r.distanceRatio)]
            })
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        outputs.append(.table(table))
        let worst = results.map(\.maxRelativeDifference).max() ?? 0
        return CellResult(outputs: outputs, values: [
            ("layers", .integer(results.count)),
            ("max_relative_difference", .scientific(worst, digits: 2)),
            ("identical_argmins", .integer(results.filter { $0.argminG == $0.argminGPrime }.count)),
            ("nearest_is_relaxed_choice", .integer(results.filter { $0.nearest == $0.argminG }.count)),
        ])
    }
}

/// Eq. 4-9 and Eq. 2-3 on one layer.
struct LayerEquivalence {
    let name: String
    let filters: Int
    let maxRelativeDifference: Double
    let argminG: Int
    let argminGPrime: Int
    let iterations: Int
    /// The filter nearest the exact geometric median, and its rank (1 = smallest) by g.
    let nearest: Int
    let nearestRank: Int
    /// ||F_argmin g - x_GM|| / ||F_nearest - x_GM|| (1 when the relaxed choice is the nearest filter).
    let distanceRatio: Double

    init(name: String, filters matrix: FilterMatrix) {
        self.name = name
        filters = matrix.rows
        let n = matrix.rows
        let g = DistanceSums.gramFormReference(matrix)
        let gPrime = DistanceSums.excludingSelf(matrix)
        maxRelativeDifference = zip(g, gPrime).map { abs($0 - $1) / max(abs($1), .leastNormalMagnitude) }.max() ?? 0
        func argmin(_ values: [Double]) -> Int { FilterRanking.smallest(1, of: values, indices: Array(0..<n)).first ?? 0 }
        argminG = argmin(g)
        argminGPrime = argmin(gPrime)
        let (center, steps) = GeometricMedian().median(of: Array(0..<n), in: matrix)
        iterations = steps
        let toCenter = (0..<n).map { j in
            zip(matrix.filter(j), center).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
        }
        nearest = argmin(toCenter)
        let order = (0..<n).sorted { g[$0] != g[$1] ? g[$0] < g[$1] : $0 < $1 }
        nearestRank = (order.firstIndex(of: nearest) ?? 0) + 1
        distanceRatio = toCenter[nearest] > 0 ? toCenter[argminG] / toCenter[nearest] : 1
    }
}
