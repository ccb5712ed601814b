import FPGM
import Notebook

/// A directive's failure, shown as the cell's error.
public struct DirectiveFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Every directive notebooks can use.
public enum Directives {
    public static let all: [any Directive] = {
        let directives: [any Directive] = [ModelDirective(), FLOPsDirective(), NormsDirective(), SelectDirective(),
                                           EquivalenceDirective(), FreezeDirective(), ToyDirective(),
                                           SpeedupDirective(), AgreementDirective(), AccuracyDirective(), FinetuneDirective()]
        return directives.map { ComputingDirective(base: $0) }
    }()
}

/// A directive that opens the engine's BLAS before it runs, so that a system without OpenBLAS fails
/// the cell with one sentence; cells read from the cache never open it.
struct ComputingDirective: Directive {
    let base: any Directive

    var spec: DirectiveSpec { base.spec }

    func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        do { try BLASRuntime.load() } catch { throw DirectiveFailure(error.description) }
        return try base.run(arguments, context: context)
    }
}
