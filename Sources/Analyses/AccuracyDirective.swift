import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm accuracy ````: the accuracy columns of the paper's tables before any training. For each
/// rate P and criterion (FPGM-only: R = 1, D = P; the official mix: R = 1 - (P - D_mix), D = D_mix; the
/// L2 and L1 norms and a seeded random choice, each pruning P), the top-1 accuracy of the masked network
/// (the official soft pruning) on real test images, and of the same network with every batch norm's
/// statistics re-estimated on unlabelled training images (DESIGN.md §11), each with its binomial standard
/// error sqrt(p (1 - p) / n); beside them the unpruned network, its published accuracy, and the
/// majority-class baseline. Re-estimated accuracies are marked measured: the statistics are float32 sums
/// over thousands of activations whose last bits differ between convolution kernels, and a changed bit
/// can move an image across a decision boundary.
/// Exports fractions as numbers: `top1_unpruned`, `top1_published`, `majority_baseline`, `images`,
/// `top1_masked_<criterion>` and `top1_recalibrated_<criterion>` (with `_<i>` after the criterion for
/// the i-th rate when there are several), and each top-1 also in percent (`..._percent`).
public struct AccuracyDirective: Directive {
    public init() {}

    static let criterionNames = ["fpgm", "mix", "l2", "l1", "random"]

    static let rates = ArgumentSpec("rates", .fractions, default: .numbers([0.4]), help: "the fractions of filters every criterion prunes")
    static let criteria = ArgumentSpec("criteria", .choices(criterionNames), default: .strings(criterionNames), help: "which of fpgm, mix, l2, l1, random to show")
    static let mixDist = ArgumentSpec("mix_dist", .fraction, default: .number(0.1), help: "the mix's FPGM share (the official scripts: 0.1)")
    static let data = ArgumentSpec("data", .string, default: .string("hub:cifar10/test"), help: "the labelled test images (a data spec; files relative to the notebook)")
    static let recalibrate = ArgumentSpec("recalibrate", .string, default: .string("hub:cifar10/train"), help: "the images batch norms are re-estimated on (a data spec), or none")
    static let recalibrateImages = ArgumentSpec("recalibrate_images", .integer, default: .integer(2000), help: "how many images re-estimation uses, in batches of 128")
    static let chart = ArgumentSpec("chart", .bool, default: .bool(true), help: "also draw the accuracies as a bar chart")

    public let spec = DirectiveSpec(name: "accuracy", summary: "top-1 accuracy of pruned networks before fine-tuning, with and without re-estimated batch norms", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed.with(help: "seed of synthetic weights and of the random criterion"),
        Self.rates,
        Self.criteria,
        Self.mixDist,
        Self.data,
        Self.recalibrate,
        Self.recalibrateImages,
        DirectiveImages.normalize,
        Self.chart,
    ], exports: "top1_unpruned, top1_published, majority_baseline, top1_masked_<criterion> and top1_recalibrated_<criterion> (fractions; with _<i> after the criterion for the i-th rate when there are several), each also as ..._percent; images (a count) and standard_error_unpruned_percent")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let seed = arguments.integer(ModelArguments.seed)
        let rates = arguments.numbers(Self.rates)
        let criteria = arguments.strings(Self.criteria)
        let mixDist = arguments.number(Self.mixDist)
        let dataSpec = arguments.string(Self.data)
        let recalibrateSpec = arguments.string(Self.recalibrate)
        let recalibrationCount = arguments.integer(Self.recalibrateImages)
        let chart = arguments.bool(Self.chart)
        let normalization = arguments.choice(DirectiveImages.normalize, as: Normalization.self)
        guard recalibrationCount >= 1 else { throw DirectiveFailure("recalibrate_images must be at least 1") }
        let model = try ModelArguments.load(arguments, context: context)
        let test = try DirectiveImages.load(dataSpec, argument: "data", split: .test, context: context)
        guard let labels = test.labels else { throw DirectiveFailure("data: '\(dataSpec)' has no labels; accuracy needs CIFAR-10 images") }
        let recalibrates = recalibrateSpec != "none" && !recalibrateSpec.isEmpty
        let calibration = recalibrates
            ? try DirectiveImages.load(recalibrateSpec, argument: "recalibrate", split: .train, context: context).prefix(recalibrationCount) : nil

        func evaluate(_ weights: BoundWeights) -> Evaluation {
            Evaluation(network: InferenceNetwork(weights: weights), weights: weights, images: test, normalization: normalization)
        }
        func cell(_ evaluation: Evaluation) -> String {
            NumberFormat.fixed(100 * evaluation.top1, digits: 2) + "% ± " + NumberFormat.fixed(100 * evaluation.standardError, digits: 2)
        }
        var values = [(key: String, value: ExportedValue)]()
        func export(_ key: String, _ fraction: Double) { values += ExportedValue.fractionAndPercent(key, fraction, percentDigits: 2) }

        let unpruned = evaluate(model.weights)
        let baseline = Evaluation.majorityBaseline(labels)
        let published = model.path.flatMap { HubWeights.entry(forFileAt: $0)?.publishedTop1 }
        export("top1_unpruned", unpruned.top1)
        if let published { export("top1_published", published) }
        export("majority_baseline", baseline.top1)
        values.append(("images", .integer(test.count)))
        values.append(("standard_error_unpruned_percent", .fixed(100 * unpruned.standardError, digits: 2)))

        var rows = [["unpruned", "–", "0", cell(unpruned), recalibrates ? "–" : "not run"]]
        var masked = [Double](), recalibrated = [Double](), categories = [String](), collapsed = [String]()
        for (rateIndex, rate) in rates.enumerated() {
            // Rates, mix_dist and the criteria were checked with the notebook; the mix needs mix_dist <= rate.
            guard mixDist <= rate || !criteria.contains("mix") else { throw DirectiveFailure("mix_dist must not exceed rate (\(mixDist) > \(rate))") }
            let suffix = rates.count > 1 ? "_\(rateIndex + 1)" : ""
            for name in criteria {
                let (label, pruning, kind) = try Self.criterion(name, rate: rate, mixDist: mixDist)
                let plan = try ModelSource.plan(model.layers, rates: pruning, criterion: kind.criterion(seed: UInt64(seed)))
                let maskedWeights = model.weights.masked(by: plan)
                let before = evaluate(maskedWeights)
                let after = calibration.map { evaluate(BatchNormRecalibration.recalibrated(maskedWeights, images: $0, normalization: normalization)) }
                if before.predictsOneClass { collapsed.append("\(label) at \(NumberFormat.ratesLabel(pruning)) answers \(CIFARBatch.classNames[before.predictions[0]]) for every image") }
                rows.append([label, NumberFormat.ratesLabel(pruning), String(plan.prunedFilters), cell(before), after.map(cell) ?? "not run"])
                export("top1_masked_\(name)\(suffix)", before.top1)
                if let after { export("top1_recalibrated_\(name)\(suffix)", after.top1) }
                if rateIndex == 0 {
                    categories.append(label)
                    masked.append(100 * before.top1)
                    recalibrated.append(100 * (after?.top1 ?? 0))
                }
            }
        }
        rows.append(["majority class (\(CIFARBatch.classNames[baseline.class]))", "–", "–",
                     NumberFormat.fixed(100 * baseline.top1, digits: 2) + "%", "–"])

        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        if DirectiveImages.isSynthetic(dataSpec) { outputs.append(.callout("Generated images (\(dataSpec)) have no labels worth measuring against.")) }
        outputs.append(.table(Table(columns: ["Criterion", "Pruned", "Filters pruned", "Top-1, masked", "Top-1, batch norms re-estimated"],
                                    alignments: [.left, .left, .right, .right, .right], rows: rows,
                                    measuredColumns: recalibrates ? [4] : [])))
        if chart, !categories.isEmpty {
            outputs.append(.figure(svg: Self.chart(model.weights.architecture.name, rate: rates[0], unpruned: unpruned.top1, categories: categories,
                                                   masked: masked, recalibrated: recalibrates ? recalibrated : nil).svg))
        }
        var note = "\(NumberFormat.grouped(Double(test.count))) test images (\(dataSpec)), normalised with the \(normalization.summary); ± is the binomial standard error. "
        note += Self.provenance(unpruned: unpruned.top1, published: published, calibration: calibration.map { ($0.count, recalibrateSpec) }, collapsed: collapsed)
        if !DirectiveImages.isSynthetic(dataSpec) { note += " " + DirectiveImages.credit }
        if !model.synthetic { note += " Weights: akamaster/pytorch_resnet_cifar10 (BSD 2-Clause)." }
        outputs.append(.text(note))
        return CellResult(outputs: outputs, values: values)
    }

    /// The masked (and re-estimated, measured) top-1 of each criterion at the first rate, as bars.
    static func chart(_ arch: String, rate: Double, unpruned: Double, categories: [String], masked: [Double], recalibrated: [Double]?) -> Chart {
        var series: [(name: String, values: [Double])] = [(name: "masked", values: masked)]
        let measuredName = "re-estimated (measured)"
        if let recalibrated { series.append((name: measuredName, values: recalibrated)) }
        return Chart(id: "accuracy-\(arch)",
                     title: "\(arch), \(NumberFormat.trimmed(rate * 100, digits: 2))% pruned, no fine-tuning (unpruned: \(NumberFormat.fixed(100 * unpruned, digits: 2))%)",
                     mark: .bars(categories: categories, label: "criterion", series: series),
                     yAxis: Axis(covering: [100, 0], label: "top-1 accuracy (%)", includeZero: true), measuredSeries: [measuredName])
    }

    /// The note's sentences on the unpruned accuracy, the re-estimation (images and their spec) and the
    /// networks that answer one class.
    static func provenance(unpruned: Double, published: Double?, calibration: (count: Int, spec: String)?, collapsed: [String]) -> String {
        var note = "Unpruned: \(NumberFormat.fixed(100 * unpruned, digits: 2))% measured here"
        note += published.map { "; \(NumberFormat.fixed(100 * $0, digits: 2))% published upstream on all 10,000 test images." } ?? "."
        if let calibration {
            note += " Batch norms re-estimated on the first \(NumberFormat.grouped(Double(calibration.count))) images of \(calibration.spec) (labels unused, batches of 128, every batch weighted equally)."
        }
        if !collapsed.isEmpty { note += " " + collapsed.joined(separator: "; ") + "." }
        return note
    }

    /// The row label, rates and criterion of a criterion name at rate P.
    static func criterion(_ name: String, rate: Double, mixDist: Double) throws -> (String, PruningRates, CriterionKind) {
        switch name {
        case "fpgm": ("FPGM-only", try PruningRates.cell(rateNorm: 1, rateDist: rate), .fpgm)
        case "mix": ("FPGM mix", try PruningRates.cell(rateNorm: 1 - (rate - mixDist), rateDist: mixDist), .fpgm)
        case "l2": ("L2 norm", try PruningRates.cell(rateNorm: 1, rateDist: rate), .l2)
        case "l1": ("L1 norm", try PruningRates.cell(rateNorm: 1, rateDist: rate), .l1)
        default: ("random", try PruningRates.cell(rateNorm: 1, rateDist: rate), .random)
        }
    }
}
