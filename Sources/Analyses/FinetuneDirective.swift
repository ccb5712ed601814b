import FPGM
import Foundation
import Notebook
import Report

/// ```` ```fpgm finetune ````: the accuracy columns of the paper's tables after fine-tuning. For each
/// rate P and criterion (as `accuracy` names them), the network is masked and fine-tuned with the
/// official soft-pruning loop (`TrainingRun`: SGD with Nesterov momentum 0.9 and weight decay 5e-4,
/// crop-and-flip augmentation, the pruned filters' gradients zeroed, the mask re-applied after every
/// epoch) for `epochs` epochs on the first `images` training images; top-1 on the test images is
/// measured before training (epoch 0, the masked network) and after every epoch. Values after training
/// are float32 training runs, so they are marked measured.
/// Exports `top1_masked_<criterion>` and `measured_top1_<criterion>` (after the last epoch; the name
/// says it is a measurement, which differs between machines; with `_<i>` after the criterion for the
/// i-th rate when there are several), each also in percent, and `epochs` and `images`.
public struct FinetuneDirective: Directive {
    public init() {}

    static let rates = ArgumentSpec("rates", .fractions, default: .numbers([0.4]), help: "the fractions of filters every criterion prunes")
    static let criteria = ArgumentSpec("criteria", .choices(AccuracyDirective.criterionNames), default: .strings(["fpgm", "l2", "random"]),
                                       help: "which of fpgm, mix, l2, l1, random to fine-tune")
    static let epochs = ArgumentSpec("epochs", .count, default: .integer(1), help: "epochs of fine-tuning (at least 1)")
    static let images = ArgumentSpec("images", .count, default: .integer(0), help: "train on the first N training images (0: all of them)")
    static let data = ArgumentSpec("data", .string, default: .string("hub:cifar10/train"), help: "the labelled training images (a data spec; files relative to the notebook)")
    static let test = ArgumentSpec("test", .string, default: .string("hub:cifar10/test"), help: "the labelled images top-1 is measured on")
    static let learningRate = ArgumentSpec("lr", .number, default: .number(0.01), help: "the base learning rate (the official 0.01 for trained networks), on the official step schedule")
    static let batch = ArgumentSpec("batch", .count, default: .integer(128), help: "images per SGD step")
    static let chart = ArgumentSpec("chart", .bool, default: .bool(true), help: "also draw the learning curves")

    public let spec = DirectiveSpec(name: "finetune", summary: "top-1 accuracy of pruned networks after each epoch of the official soft-pruning fine-tuning", arguments: [
        ModelArguments.weights,
        ModelArguments.arch,
        ModelArguments.seed.with(help: "seed of synthetic weights, of the random criterion and of the order, crops and flips"),
        Self.rates,
        Self.criteria,
        AccuracyDirective.mixDist,
        Self.epochs,
        Self.images,
        Self.data,
        Self.test,
        Self.learningRate,
        Self.batch,
        DirectiveImages.normalize,
        Self.chart,
    ], exports: "top1_masked_<criterion> (before training) and measured_top1_<criterion> (after the last epoch; measured, it differs between machines), fractions, with _<i> after the criterion for the i-th rate when there are several, each also as ..._percent; epochs and images (counts)")

    public func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        let seed = arguments.integer(ModelArguments.seed)
        let rates = arguments.numbers(Self.rates), criteria = arguments.strings(Self.criteria), mixDist = arguments.number(AccuracyDirective.mixDist)
        let epochs = arguments.integer(Self.epochs), count = arguments.integer(Self.images), batch = arguments.integer(Self.batch)
        let rate = arguments.number(Self.learningRate), chart = arguments.bool(Self.chart)
        let dataSpec = arguments.string(Self.data), testSpec = arguments.string(Self.test)
        let normalization = arguments.choice(DirectiveImages.normalize, as: Normalization.self)
        guard epochs >= 1 else { throw DirectiveFailure("epochs must be at least 1") }
        guard batch >= 1 else { throw DirectiveFailure("batch must be at least 1") }
        guard rate > 0, rate.isFinite else { throw DirectiveFailure("lr must be a positive number, got \(rate)") }
        let model = try ModelArguments.load(arguments, context: context)
        let all = try DirectiveImages.load(dataSpec, argument: "data", split: .train, context: context)
        let training = count > 0 ? all.prefix(count) : all
        let test = try DirectiveImages.load(testSpec, argument: "test", split: .test, context: context)
        guard training.labels != nil, training.count > 0 else { throw DirectiveFailure("data: '\(dataSpec)' has no labelled images to train on") }
        guard test.labels != nil else { throw DirectiveFailure("test: '\(testSpec)' has no labels; finetune needs CIFAR-10 images") }

        var settings = TrainingSettings(epochs: epochs)
        settings.batch = batch
        settings.learningRate = rate
        settings.seed = UInt64(seed)
        settings.normalization = normalization
        func top1(_ weights: BoundWeights) -> Double {
            Evaluation(network: InferenceNetwork(weights: weights), weights: weights, images: test, normalization: normalization).top1
        }
        func percent(_ fraction: Double) -> String { NumberFormat.fixed(100 * fraction, digits: 2) + "%" }

        var values = [(key: String, value: ExportedValue)]()
        func export(_ key: String, _ fraction: Double) { values += ExportedValue.fractionAndPercent(key, fraction, percentDigits: 2) }
        let unpruned = top1(model.weights)
        var rows = [["unpruned", "–", "0", percent(unpruned)] + Array(repeating: "–", count: epochs)]
        var curves = [Chart.Series]()
        for (rateIndex, pruned) in rates.enumerated() {
            guard mixDist <= pruned || !criteria.contains("mix") else { throw DirectiveFailure("mix_dist must not exceed rate (\(mixDist) > \(pruned))") }
            let suffix = rates.count > 1 ? "_\(rateIndex + 1)" : ""
            for name in criteria {
                let (label, pruning, kind) = try AccuracyDirective.criterion(name, rate: pruned, mixDist: mixDist)
                let selector = FilterSelector(rates: pruning, criterion: kind.criterion(seed: UInt64(seed)))
                var run: TrainingRun
                do { run = try TrainingRun(weights: model.weights, settings: settings, selector: selector) } catch {
                    throw DirectiveFailure(error.description)
                }
                var accuracies = [top1(run.network.weights)]
                for _ in 0..<epochs {
                    do { _ = try run.runEpoch(training) } catch { throw DirectiveFailure("\(label): \(error)") }
                    accuracies.append(top1(run.network.weights))
                }
                rows.append([label, NumberFormat.ratesLabel(pruning), String(run.mask?.count ?? 0)] + accuracies.map(percent))
                export("top1_masked_\(name)\(suffix)", accuracies[0])
                export("measured_top1_\(name)\(suffix)", accuracies[epochs])
                curves.append(Chart.Series(name: rates.count > 1 ? "\(label), \(NumberFormat.ratesLabel(pruning))" : label,
                                           points: accuracies.enumerated().map { (Double($0.offset), 100 * $0.element) }))
            }
        }
        values.append(("epochs", .integer(epochs)))
        values.append(("images", .integer(training.count)))

        var outputs = [CellOutput]()
        if let callout = model.callout { outputs.append(.callout(callout)) }
        let epochColumns = (1...epochs).map { "Top-1 after epoch \($0)" }
        outputs.append(.table(Table(columns: ["Criterion", "Pruned", "Filters pruned", "Top-1, masked"] + epochColumns,
                                    alignments: [.left, .left, .right, .right] + epochColumns.map { _ in .right }, rows: rows,
                                    measuredColumns: Set(4..<(4 + epochs)))))
        if chart {
            let arch = model.weights.architecture.name
            outputs.append(.figure(svg: Chart(id: "finetune-\(arch)", title: "\(arch): top-1 while fine-tuning (epoch 0: masked, no training)",
                                              mark: .lines(curves), xAxis: Axis(covering: [0, Double(epochs)], label: "epoch"),
                                              yAxis: Axis(covering: [0, 100], label: "top-1 accuracy (%)", includeZero: true),
                                              measuredSeries: Set(curves.map(\.name))).svg))
        }
        var note = "Fine-tuned with the official recipe (batch \(batch), lr \(NumberFormat.trimmed(rate, digits: 4)) on the step schedule, momentum 0.9 with Nesterov, "
        note += "weight decay 5e-4, pad-4 crops and flips, seed \(seed)) for \(epochs) epoch\(epochs == 1 ? "" : "s") on the first \(NumberFormat.grouped(Double(training.count))) images of \(dataSpec); "
        note += "top-1 on \(NumberFormat.grouped(Double(test.count))) test images (\(testSpec)), normalised with the \(normalization.summary). "
        note += "Unpruned: \(percent(unpruned)). The accuracies after training are measured: float32 training, whose last bits differ between processors."
        note += " " + DirectiveImages.credit
        if !model.synthetic { note += " Weights: akamaster/pytorch_resnet_cifar10 (BSD 2-Clause)." }
        outputs.append(.text(note))
        return CellResult(outputs: outputs, values: values)
    }
}
