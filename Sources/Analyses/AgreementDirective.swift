import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm agreement ````: how far pruning without fine-tuning moves a network, criterion by
/// criterion at the same rate P: FPGM-only (R = 1, D = P), the official mix (R = 1 - (P - D_mix), D = D_mix),
/// the L2 norm and a seeded random choice (each pruning P). On a deterministic input set (`smooth:N`,
/// `pattern:N` or a CIFAR-10 batch file next to the notebook) it reports the largest and the mean |logit - logit_0|
/// against the unpruned network and the top-1 agreement, the fraction of images whose predicted class
/// is unchanged. Exports `agreement_<criterion>` and `max_error_<criterion>`.
public struct AgreementDirective: Directive {
    public init() {}

    public let spec = DirectiveSpec(name: "agreement", summary: "logit error and top-1 agreement of pruned networks without fine-tuning", arguments: [
        ArgumentSpec("weights", .string, help: "a checkpoint (path relative to the notebook), hub:akamaster/<model>, or synthetic"),
        ArgumentSpec("arch", .string, default: .string(""), help: "the network; inferred from the checkpoint when empty, needed for synthetic"),
        ArgumentSpec("seed", .integer, default: .integer(0), help: "seed of synthetic weights and of the random criterion"),
        ArgumentSpec("rate", .number, default: .number(0.4), help: "the fraction of filters every criterion prunes"),
        ArgumentSpec("mix_dist", .number, default: .number(0.1), help: "the mix's FPGM share (the official scripts: 0.1 of 0.4)"),
        ArgumentSpec("input", .string, default: .string("smooth:128"), help: "pattern:N, smooth:N, or a CIFAR-10 binary batch file (path relative to the notebook)"),
        ArgumentSpec("chart", .bool, default: .bool(true), help: "also draw the top-1 agreement as a bar chart"),
    ])

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        guard case let .string(weights)? = arguments["weights"], case let .string(arch)? = arguments["arch"],
              case let .integer(seed)? = arguments["seed"], case let .number(rate)? = arguments["rate"],
              case let .number(mixDist)? = arguments["mix_dist"], case let .string(input)? = arguments["input"],
              case let .bool(chart)? = arguments["chart"] else {
            throw DirectiveFailure("the agreement arguments did not reach the directive")
        }
        guard (0...1).contains(rate), (0...rate).contains(mixDist) else { throw DirectiveFailure("rate must lie in [0, 1] and mix_dist in [0, rate]") }
        let model = try ModelSource.load(weights: weights, arch: arch, seed: seed, context: context)
        let images = try Self.images(input, side: model.weights.architecture.inputSize, context: context)
        let reference = InferenceNetwork(weights: model.weights).logits(images)
        let randomSeed = UInt64(max(0, seed))
        let criteria: [(name: String, label: String, rates: PruningRates, kind: CriterionKind)] = [
            ("fpgm", "FPGM-only", try PruningRates(rateNorm: 1, rateDist: rate), .fpgm),
            ("mix", "FPGM mix", try PruningRates(rateNorm: 1 - (rate - mixDist), rateDist: mixDist), .fpgm),
            ("l2", "L2 norm", try PruningRates(rateNorm: 1, rateDist: rate), .l2),
            ("random", "random", try PruningRates(rateNorm: 1, rateDist: rate), .random),
        ]
        var rows = [[String]](), values = [(String, String)](), agreements = [Double]()
        for criterion in criteria {
            let plan = try FilterSelector(rates: criterion.rates, criterion: criterion.kind.criterion(seed: randomSeed)).plan(for: model.layers)
            let logits = InferenceNetwork(weights: model.weights.masked(by: plan)).logits(images)
            let errors = zip(logits, reference).flatMap { zip($0, $1).map { Double(abs($0 - $1)) } }
            let agreement = Double(zip(logits, reference).filter { InferenceNetwork.predictedClass($0) == InferenceNetwork.predictedClass($1) }.count) / Double(reference.count)
            let maxError = errors.max() ?? 0, meanError = errors.reduce(0, +) / Double(max(1, errors.count))
            agreements.append(agreement * 100)
            rows.append([criterion.label, NumberFormat.ratesLabel(criterion.rates), String(plan.prunedFilters),
                         NumberFormat.fixed(maxError, digits: 3), NumberFormat.fixed(meanError, digits: 3),
                         NumberFormat.fixed(agreement * 100, digits: 1) + "%"])
            values += [("agreement_\(criterion.name)", NumberFormat.fixed(agreement * 100, digits: 1) + "%"),
                       ("max_error_\(criterion.name)", NumberFormat.fixed(maxError, digits: 3))]
        }
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if chart {
            let bars = Chart(id: "agreement-\(model.weights.architecture.name)", title: "Top-1 agreement with the unpruned network",
                             mark: .bars(categories: criteria.map(\.label), label: "criterion", series: [(name: "no fine-tuning", values: agreements)]),
                             yAxis: Axis(covering: agreements + [100], label: "top-1 agreement (%)", includeZero: true))
            outputs.append(.figure(svg: bars.svg))
        }
        outputs.append(.table(Table(columns: ["Criterion", "Pruned", "Filters pruned", "Max |logit error|", "Mean |logit error|", "Top-1 agreement"],
                                    alignments: [.left, .left, .right, .right, .right, .right], rows: rows)))
        outputs.append(.text("\(reference.count) images (\(input)); the pruned networks are masked (the official soft pruning) and not fine-tuned."))
        return CellResult(outputs: outputs, values: values)
    }

    /// `pattern:N` or `smooth:N` (N up to 10,000) at the network's side, or the images of a CIFAR-10 batch file.
    static func images(_ input: String, side: Int, context: CellContext) throws -> FeatureMaps {
        do {
            return try InputImages.read(input, side: side, limit: 10_000, path: context.input).maps
        } catch let error as InputImagesError {
            throw DirectiveFailure("input \(error.description)")
        }
    }
}
