import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm agreement ````: how far pruning without fine-tuning moves a network, criterion by
/// criterion at the same rate P: FPGM-only (R = 1, D = P), the official mix (R = 1 - (P - D_mix), D = D_mix),
/// the L2 norm and a seeded random choice (each pruning P). On real CIFAR-10 test images by default
/// (`hub:cifar10/test`; generated `smooth:N` or `pattern:N` only when asked for, and then a callout says
/// so) it reports the largest and the mean |logit - logit_0| against the unpruned network and the top-1
/// agreement, the fraction of images whose predicted class is unchanged, beside the agreement of a
/// network that answers one class everywhere (the unpruned network's most frequent prediction); a pruned
/// network that does answer one class everywhere is named as such. Exports `agreement_<criterion>` and
/// `max_error_<criterion>` (fractions and logits, as numbers).
public struct AgreementDirective: Directive {
    public init() {}

    static let rate = ArgumentSpec("rate", .fraction, default: .number(0.4), help: "the fraction of filters every criterion prunes")
    static let mixDist = ArgumentSpec("mix_dist", .fraction, default: .number(0.1), help: "the mix's FPGM share (the official scripts: 0.1 of 0.4)")
    static let input = ArgumentSpec("input", .string, default: .string("hub:cifar10/test"), help: "the images: hub:cifar10/test, a CIFAR-10 batch file, folder or archive (relative to the notebook), or pattern:N / smooth:N for generated ones")
    static let chart = ArgumentSpec("chart", .bool, default: .bool(true), help: "also draw the top-1 agreement as a bar chart")

    public let spec = DirectiveSpec(name: "agreement", summary: "logit error and top-1 agreement of pruned networks without fine-tuning", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed.with(help: "seed of synthetic weights and of the random criterion"),
        Self.rate,
        Self.mixDist,
        Self.input,
        DirectiveImages.normalize,
        Self.chart,
    ], exports: "agreement_<criterion> and agreement_one_class (fractions of images on which the pruned network's top-1 class is the unpruned one's) and max_error_<criterion> (the largest logit error)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let seed = arguments.integer(ModelArguments.seed)
        let rate = arguments.number(Self.rate)
        let mixDist = arguments.number(Self.mixDist)
        let input = arguments.string(Self.input)
        let chart = arguments.bool(Self.chart)
        let normalization = arguments.choice(DirectiveImages.normalize, as: Normalization.self)
        guard mixDist <= rate else { throw DirectiveFailure("mix_dist must not exceed rate (\(mixDist) > \(rate))") }
        let model = try ModelArguments.load(arguments, context: context)
        let imageSet = try DirectiveImages.load(input, argument: "input", split: .test, side: model.weights.architecture.inputSize, context: context)
        let images = imageSet.maps(normalization: normalization)
        let unpruned = InferenceNetwork(weights: model.weights)
        let reference = unpruned.logits(images)
        let referenceClasses = Evaluation.predictions(reference, network: unpruned, weights: model.weights, images: imageSet,
                                                      normalization: normalization).classes
        let constant = Evaluation.majorityBaseline(referenceClasses)
        let randomSeed = UInt64(seed)
        let criteria: [(name: String, label: String, rates: PruningRates, kind: CriterionKind)] = [
            ("fpgm", "FPGM-only", try PruningRates.cell(rateNorm: 1, rateDist: rate), .fpgm),
            ("mix", "FPGM mix", try PruningRates.cell(rateNorm: 1 - (rate - mixDist), rateDist: mixDist), .fpgm),
            ("l2", "L2 norm", try PruningRates.cell(rateNorm: 1, rateDist: rate), .l2),
            ("random", "random", try PruningRates.cell(rateNorm: 1, rateDist: rate), .random),
        ]
        var rows = [[String]](), values = [(key: String, value: ExportedValue)](), agreements = [Double](), collapsed = [String]()
        for criterion in criteria {
            let plan = try FilterSelector(rates: criterion.rates, criterion: criterion.kind.criterion(seed: randomSeed)).plan(for: model.layers)
            let masked = model.weights.masked(by: plan), network = InferenceNetwork(weights: masked)
            let logits = network.logits(images)
            let errors = zip(logits, reference).flatMap { zip($0, $1).map { Double(abs($0 - $1)) } }
            let classes = Evaluation.predictions(logits, network: network, weights: masked, images: imageSet, normalization: normalization).classes
            let agreement = Double(zip(classes, referenceClasses).filter { $0 == $1 }.count) / Double(reference.count)
            if Set(classes).count == 1 { collapsed.append("\(criterion.label) answers \(CIFARBatch.classNames[classes[0]]) for every image") }
            let meanError = errors.reduce(0, +) / Double(max(1, errors.count))
            // The largest error, recomputed exactly on the image where it occurs, so that its digits do not depend on the machine.
            let worst = errors.indices.max { errors[$0] < errors[$1] } ?? 0, classCount = max(1, reference.first?.count ?? 1)
            let maxError = ExactPass.largestDifference(masked, model.weights, shortcut: unpruned.shortcut, images: imageSet, index: worst / classCount,
                                                       normalization: normalization)
            agreements.append(agreement * 100)
            rows.append([criterion.label, NumberFormat.ratesLabel(criterion.rates), String(plan.prunedFilters),
                         NumberFormat.fixed(maxError, digits: 3), NumberFormat.fixed(meanError, digits: 3),
                         NumberFormat.fixed(agreement * 100, digits: 1) + "%"])
            values += [("agreement_\(criterion.name)", .fixed(agreement, digits: 4)), ("max_error_\(criterion.name)", .fixed(maxError, digits: 3))]
        }
        rows.append(["one class everywhere", "–", "–", "–", "–", NumberFormat.fixed(constant.top1 * 100, digits: 1) + "%"])
        values.append(("agreement_one_class", .fixed(constant.top1, digits: 4)))
        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if DirectiveImages.isSynthetic(input) {
            outputs.append(.callout("Generated images (\(input)), not photographs: agreement on them says little about real inputs, where a network that answers one class everywhere agrees only as often as that class is predicted."))
        }
        if chart {
            let bars = Chart(id: "agreement-\(model.weights.architecture.name)", title: "Top-1 agreement with the unpruned network",
                             mark: .bars(categories: criteria.map(\.label) + ["one class"], label: "criterion",
                                         series: [(name: "no fine-tuning", values: agreements + [constant.top1 * 100])]),
                             yAxis: Axis(covering: agreements + [100], label: "top-1 agreement (%)", includeZero: true))
            outputs.append(.figure(svg: bars.svg))
        }
        outputs.append(.table(Table(columns: ["Criterion", "Pruned", "Filters pruned", "Max |logit error|", "Mean |logit error|", "Top-1 agreement"],
                                    alignments: [.left, .left, .right, .right, .right, .right], rows: rows)))
        var note = "\(NumberFormat.grouped(Double(reference.count))) images (\(input)), normalised with the \(normalization.summary); the pruned networks are masked (the official soft pruning) and not fine-tuned. "
            + "The last row is a network that answers \(CIFARBatch.classNames[constant.class]), the unpruned network's most frequent answer, for every image."
        if !collapsed.isEmpty { note += " " + collapsed.joined(separator: "; ") + "." }
        if !DirectiveImages.isSynthetic(input) { note += " " + DirectiveImages.credit }
        outputs.append(.text(note))
        return CellResult(outputs: outputs, values: values)
    }
}
