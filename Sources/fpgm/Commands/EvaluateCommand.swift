import FPGM
import Foundation
import Report

/// `fpgm evaluate`: top-1 accuracy of a network on labelled images, unpruned, masked or compact, with
/// the batch norms optionally re-estimated on other images first (DESIGN.md §11).
enum EvaluateCommand {
    static let data = OptionSpec.value("--data", "data", help: "The labelled images: " + DataArguments.dataHelp + ". Folders and archives give their test split unless ':train' follows.", default: "hub:cifar10/test")
    static let images = OptionSpec.value("--images", "N", help: "Use only the first N images.")
    static let criterion = OptionSpec.value("--criterion", "criterion", help: "How --prune scores filters in its second step.", default: "fpgm", values: CriterionKind.allCases.map(\.rawValue))
    static let seed = OptionSpec.value("--seed", "seed", help: "Seed of the random criterion.", default: "0")
    static let recalibrate = OptionSpec.value("--recalibrate", "data", help: "Re-estimate every batch norm's running mean and variance on these images (labels unused) before evaluating; folders and archives give their training split unless ':test' follows.")
    static let recalibrateImages = OptionSpec.value("--recalibrate-images", "N", help: "How many images --recalibrate uses, in batches of 128.", default: "2000")
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a summary.")

    static let spec = CommandSpec(
        name: "evaluate",
        overview: "Measure a network's top-1 accuracy on CIFAR-10 images, unpruned or pruned, with batch norms optionally re-estimated.",
        arguments: [("checkpoint", CheckpointArgument.help)],
        options: [
            RunnableArchitecture.option,
            Self.data,
            Self.images,
            RateOptions.prune(by: ""),
            Self.criterion,
            Self.seed,
            RunnableArchitecture.modeOption,
            Self.recalibrate,
            Self.recalibrateImages,
            DataArguments.normalizeOption,
            RunnableArchitecture.shortcutOption,
            Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        guard let path = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        let architecture = try RunnableArchitecture.parse(arguments, spec: spec)
        guard architecture.inputSize == 32 else { throw spec.usage("CIFAR-10 holds 32 x 32 images; \(architecture.name) takes \(architecture.inputSize) x \(architecture.inputSize)") }
        let rates = try RateOptions.pruneRates(arguments)
        let compact = arguments.value(RunnableArchitecture.modeOption) == "compact"
        let kind = CriterionKind(rawValue: arguments.value(Self.criterion) ?? "fpgm") ?? .fpgm
        let seed = try arguments.wholeNumber(Self.seed, atLeast: 0)
        let limit = try arguments.given(Self.images).map { _ throws(CommandLineError) in try arguments.wholeNumber(Self.images, atLeast: 1) }
        let recalibrationCount = try arguments.wholeNumber(Self.recalibrateImages, atLeast: 1)
        let normalization = DataArguments.normalization(arguments, spec: spec)
        let shortcut = RunnableArchitecture.shortcut(arguments, spec: spec)
        let dataSpec = arguments.value(Self.data) ?? "hub:cifar10/test"

        let all = try DataArguments.images(dataSpec, option: Self.data, split: .test, spec: spec)
        guard all.labels != nil else { throw spec.usage("'\(dataSpec)' has no labels; evaluate needs CIFAR-10 images") }
        let images = limit.map { all.prefix($0) } ?? all
        let calibration = try arguments.given(Self.recalibrate).map { text throws(CommandLineError) in
            try DataArguments.images(text, option: Self.recalibrate, split: .train, spec: spec).prefix(recalibrationCount)
        }

        let (resolved, checkpoint) = try CheckpointArgument.read(path)
        if CompactCheckpoint.isCompact(checkpoint) {
            throw spec.usage("'\(path)' is already pruned (written by 'fpgm prune --compact'); evaluate the file it came from with '--prune'")
        }
        var weights = try RunnableArchitecture.bind(checkpoint, path: resolved, to: architecture)
        let plan = try rates.map { rates throws(CommandLineError) in
            try RunnableArchitecture.plan(weights, rates: rates, criterion: kind.criterion(seed: UInt64(seed)), path: resolved)
        }
        if let plan { weights = weights.masked(by: plan) }
        if let calibration {
            weights = BatchNormRecalibration.recalibrated(weights, images: calibration, normalization: normalization, shortcut: shortcut)
        }
        let model = try plan.map { plan throws(CommandLineError) in try RunnableArchitecture.pruned(weights, by: plan, compact: compact) }
            ?? CompactModel(weights: weights)
        let evaluation = Evaluation(network: InferenceNetwork(model: model, shortcut: shortcut), weights: weights, images: images,
                                    normalization: normalization)

        let classNames = CIFARBatch.classNames
        if arguments.has(Self.json) {
            var members: [(String, JSONValue)] = [
                ("checkpoint", .string(path)), ("arch", .string(architecture.name)), ("data", .string(dataSpec)),
                ("normalization", .string(normalization.rawValue)), ("images", .int(evaluation.images)), ("correct", .int(evaluation.correct)),
                ("top1", .double(evaluation.top1)), ("standard_error", .double(evaluation.standardError)),
                ("per_class", .array(evaluation.perClass.enumerated().map { index, counts in
                    .object([("class", .int(index)), ("name", .string(classNames[index])), ("images", .int(counts.images)),
                             ("correct", .int(counts.correct))])
                })),
                ("recalibrated", .bool(calibration != nil)),
                ("pruned_filters", .int(plan?.prunedFilters ?? 0)),
                ("parameters", .int(model.parameterCount)),
            ]
            if let rates {
                members += [("mode", .string(compact ? "compact" : "mask")), ("criterion", .string(kind.rawValue)),
                            ("rate_norm", .double(rates.rateNorm)), ("rate_dist", .double(rates.rateDist))]
            }
            if let calibration, let text = arguments.given(Self.recalibrate) {
                members += [("recalibration_data", .string(text)), ("recalibration_images", .int(calibration.count))]
            }
            if evaluation.predictsOneClass { members.append(("single_class", .int(evaluation.predictions[0]))) }
            return JSONValue.object(members).text(indent: 2) + "\n"
        }
        var text = String(format: "%@ on %@: %d of %d correct, top-1 %.2f%% (standard error %.2f points)", architecture.name, dataSpec,
                          evaluation.correct, evaluation.images, 100 * evaluation.top1, 100 * evaluation.standardError)
        if let plan { text += ", \(plan.prunedFilters) of \(plan.filters) filters pruned (\(compact ? "compact" : "masked"), \(kind.rawValue))" }
        if let calibration { text += ", batch norms re-estimated on \(calibration.count) images" }
        text += "\nImages normalised with the \(normalization.summary).\n"
        if evaluation.predictsOneClass { text += "The network predicts \(classNames[evaluation.predictions[0]]) for every image.\n" }
        let rows = evaluation.perClass.enumerated().map { index, counts in
            [String(index), classNames[index], String(counts.images), String(counts.correct),
             counts.images > 0 ? String(format: "%.1f%%", 100 * Double(counts.correct) / Double(counts.images)) : "–"]
        }
        return text + "\n" + Table(columns: ["Class", "Name", "Images", "Correct", "Top-1"],
                                   alignments: [.right, .left, .right, .right, .right], rows: rows).markdown
    }
}
