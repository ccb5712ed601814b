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

    /// Counts every architecture at every rate set (FPGM-only rate P is `PruningRates(rateDist: P)`);
    /// the exact convention fails when a rate set leaves some layer without a filter.
    public init(architectures: [Architecture], rates: [PruningRates], convention: FLOPsCount.Convention) throws(SelectionError) {
        self.convention = convention
        var rows = [Row]()
        for architecture in architectures {
            for rate in rates {
                let count = switch convention {
                case .paper: PaperFLOPsCounter(architecture: architecture).count(rates: rate)
                case .exact: try ExactFLOPsCounter(architecture: architecture).count(rates: rate)
                }
                rows.append(Row(arch: architecture.name, rates: rate, count: count))
            }
        }
        self.rows = rows
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
