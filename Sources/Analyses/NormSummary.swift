import FPGM
import Report

/// Statistics of one layer's L2 filter norms, for the two requirements of the norm criterion
/// (Sec. 3.2 of the paper): a large deviation, and a minimum near zero.
public struct NormSummary: Sendable {
    public let name: String
    public let l2: [Double]
    public let l1: [Double]

    public init(name: String, filters: FilterMatrix) {
        self.name = name
        l2 = FilterNorm.l2.values(of: filters)
        l1 = FilterNorm.l1.values(of: filters)
    }

    public var minimum: Double { l2.min() ?? 0 }
    public var maximum: Double { l2.max() ?? 0 }
    public var mean: Double { l2.isEmpty ? 0 : l2.reduce(0, +) / Double(l2.count) }
    /// Population standard deviation: sqrt(sum (v - mean)^2 / n).
    public var deviation: Double {
        guard !l2.isEmpty else { return 0 }
        let m = mean
        return (l2.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(l2.count)).squareRoot()
    }
    /// Requirement 1 of Sec. 3.2 asks for a large deviation: std / mean.
    public var relativeDeviation: Double { mean == 0 ? 0 : deviation / mean }
    /// Requirement 2 asks for a minimum near zero: min / max.
    public var relativeMinimum: Double { maximum == 0 ? 0 : minimum / maximum }

    /// One row per layer: filters, min, max, mean and std of the L2 norms, std / mean and min / max.
    public static func table(_ summaries: [NormSummary]) -> Table {
        Table(columns: ["Layer", "Filters", "Min L2", "Max L2", "Mean L2", "Std L2", "Std / mean", "Min / max"],
              alignments: [.left] + [Table.Alignment](repeating: .right, count: 7),
              rows: summaries.map { s in
                  [s.name, String(s.l2.count)] + [s.minimum, s.maximum, s.mean, s.deviation, s.relativeDeviation, s.relativeMinimum]
                      .map { String(format: "%.4g", $0) }
              })
    }
}
