import FPGM
import Report

/// The FLOPs table of the paper's Tables 1, 2 and 4: one row per architecture and pruning rate,
/// with baseline MACs, pruned MACs and the reduction in percent to one decimal.
public struct FLOPsTable: Sendable {
    public struct Row: Sendable, Equatable {
        public let arch: String
        public let rates: PruningRates
        public let count: FLOPsCount
    }

    public let convention: FLOPsCount.Convention
    public let rows: [Row]

    /// Counts every architecture at every rate set (FPGM-only rate P is `PruningRates(rateDist: P)`).
    public init(architectures: [Architecture], rates: [PruningRates], convention: FLOPsCount.Convention) {
        self.convention = convention
        rows = architectures.flatMap { architecture in
            rates.map { rate in
                let count = switch convention {
                case .paper: PaperFLOPsCounter(architecture: architecture).count(rates: rate)
                case .exact: ExactFLOPsCounter(architecture: architecture).count(rates: rate)
                }
                return Row(arch: architecture.name, rates: rate, count: count)
            }
        }
    }

    /// The table for a report, MACs named as the unit.
    public var table: Table {
        Table(columns: ["Arch", "Pruned (norm + dist)", "Baseline MACs", "Pruned MACs", "Reduction (%)"],
              alignments: [.left, .right, .right, .right, .right],
              rows: rows.map { row in
                  [row.arch,
                   NumberFormat.ratesLabel(row.rates),
                   NumberFormat.grouped(row.count.baseline),
                   NumberFormat.grouped(row.count.pruned),
                   NumberFormat.fixed(row.count.reduction * 100, digits: 1)]
              })
    }
}
