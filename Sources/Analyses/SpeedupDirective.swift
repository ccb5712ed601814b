import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm speedup ````: the paper's Table 5 on this CPU. For each pair of rates, FPGM's plan is
/// applied by removing the filters (the compact network, which computes the masked network's logits:
/// checked on `pattern:4` before timing), and the forward time of a batch is compared with the
/// unpruned network's: measured reduction 1 - t_compact / t_full (medians of `repeats` runs) against
/// the theoretical one, 1 - MACs_compact / MACs_full in the exact convention. Times and what follows
/// from them are measured columns (they differ between renders). Exports `theoretical_<i>` and
/// `measured_<i>` for each pair i (from 1), as fractions and in percent (`..._percent`).
public struct SpeedupDirective: Directive {
    public init() {}

    static let rateNorm = ArgumentSpec("rate_norm", .fractions, default: .numbers([1.0, 0.7]), help: "the norm step's kept fraction of each plan")
    static let rateDist = ArgumentSpec("rate_dist", .fractions, default: .numbers([0.4, 0.1]), help: "the FPGM step's pruned fraction of each plan (paired with rate_norm)")
    static let batch = ArgumentSpec("batch", .integer, default: .integer(64), help: "images per forward pass")
    static let repeats = ArgumentSpec("repeats", .integer, default: .integer(5), help: "timed runs per network (the median is reported)")

    public let spec = DirectiveSpec(name: "speedup", summary: "theoretical against measured forward-time reduction of compact networks", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed,
        Self.rateNorm,
        Self.rateDist,
        Self.batch,
        Self.repeats,
    ], exports: "theoretical_<i> and measured_<i> for the i-th pair of rates (fractions of the unpruned MACs and forward time saved), each also as ..._percent; the measured ones differ from run to run")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let rateNorms = arguments.numbers(Self.rateNorm)
        let rateDists = arguments.numbers(Self.rateDist)
        let batch = arguments.integer(Self.batch)
        let repeats = arguments.integer(Self.repeats)
        guard rateNorms.count == rateDists.count, !rateNorms.isEmpty else { throw DirectiveFailure("rate_norm and rate_dist need the same number of values") }
        guard (1...1024).contains(batch), (1...100).contains(repeats) else { throw DirectiveFailure("batch must be 1 to 1024 and repeats 1 to 100") }
        let model = try ModelArguments.load(arguments, context: context)
        let architecture = model.weights.architecture, counter = ExactFLOPsCounter(architecture: architecture)
        let full = InferenceNetwork(weights: model.weights)
        let images = GeneratedImages.pattern(count: batch, side: architecture.inputSize).maps(normalization: .imagenet)
        let fullTime = Self.medianTime(repeats) { _ = full.logits(images) }
        var rows = [["unpruned", NumberFormat.grouped(Double(architecture.parameterCount)), NumberFormat.grouped(Double(counter.macs { _ in nil })), "—",
                     Self.milliseconds(fullTime), NumberFormat.fixed(Double(batch) / fullTime, digits: 0), "—"]]
        var values = [(key: String, value: ExportedValue)]()
        for (index, (rateNorm, rateDist)) in zip(rateNorms, rateDists).enumerated() {
            let rates = try PruningRates.cell(rateNorm: rateNorm, rateDist: rateDist)
            let plan = try FilterSelector(rates: rates).plan(for: model.layers)
            let compact = try InferenceNetwork(weights: model.weights, plan: plan)
            let masked = InferenceNetwork(weights: model.weights.masked(by: plan))
            guard compact.relativeDifference(from: masked, on: GeneratedImages.pattern(count: 4, side: architecture.inputSize).maps(normalization: .imagenet)) <= 1e-4 else {
                throw DirectiveFailure("the compact network's logits differ from the masked network's")
            }
            let time = Self.medianTime(repeats) { _ = compact.logits(images) }
            let count = counter.count(plan: plan), measured = 1 - time / fullTime
            rows.append(["FPGM " + NumberFormat.ratesLabel(rates), NumberFormat.grouped(Double(compact.model.parameterCount)), NumberFormat.grouped(count.pruned),
                         Self.percent(count.reduction), Self.milliseconds(time), NumberFormat.fixed(Double(batch) / time, digits: 0),
                         Self.percent(measured)])
            values += ExportedValue.fractionAndPercent("theoretical_\(index + 1)", count.reduction, percentDigits: 1)
                + ExportedValue.fractionAndPercent("measured_\(index + 1)", measured, percentDigits: 1)
        }
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        outputs.append(.table(Table(
            columns: ["Network", "Parameters", "MACs per image", "Theoretical reduction", "Forward, batch \(batch) (ms)", "Images/s",
                      "Measured reduction"],
            alignments: [.left, .right, .right, .right, .right, .right, .right], rows: rows, measuredColumns: [4, 5, 6])))
        outputs.append(.text("Compact networks (filters removed) on \(ProcessInfo.processInfo.activeProcessorCount) cores, median of \(repeats) runs; "
                             + "each computes its masked network's logits (checked before timing). Times differ from run to run and machine to machine."))
        return CellResult(outputs: outputs, values: values)
    }

    /// The median wall time of `repeats` runs of `body`, in seconds.
    static func medianTime(_ repeats: Int, _ body: () -> Void) -> Double {
        var samples = [Double]()
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return samples.sorted()[samples.count / 2]
    }

    static func milliseconds(_ seconds: Double) -> String { NumberFormat.fixed(seconds * 1000, digits: 1) }

    static func percent(_ fraction: Double) -> String { NumberFormat.fixed(fraction * 100, digits: 1) + "%" }
}
