import FPGM
import Foundation
import Report
import Synchronization

/// Set by Ctrl-C during `fpgm train`; the run stops after the step in progress.
let interruptRequested = Atomic<Bool>(false)

/// `fpgm train`: the official soft-pruning loop (DESIGN.md §12) from a checkpoint or from scratch, with
/// a checkpoint written atomically after every epoch and `--resume` continuing from it.
enum TrainCommand {
    static let data = OptionSpec.value("--data", "data", help: "The labelled training images: " + DataArguments.dataHelp + ". Folders and archives give their training split unless ':test' follows.", default: "hub:cifar10/train")
    static let test = OptionSpec.value("--test", "data", help: "Labelled images to measure top-1 on after every epoch (folders and archives give their test split).")
    static let images = OptionSpec.value("--images", "N", help: "Train on the first N images only.")
    static let criterion = OptionSpec.value("--criterion", "criterion", help: "How --prune scores filters in its second step.", default: "fpgm", values: CriterionKind.allCases.map(\.rawValue))
    static let epochs = OptionSpec.value("--epochs", "E", help: "Epochs to train in all (with --resume, counting those already done).", default: "1")
    static let batch = OptionSpec.value("--batch", "B", help: "Images per SGD step.", default: "128")
    static let learningRate = OptionSpec.value("--lr", "L", help: "Base learning rate (the official 0.01 for a trained checkpoint, 0.1 from scratch).")
    static let schedule = OptionSpec.value("--schedule", "spec", help: "How the rate changes by epoch: step:E1,E2,...:GAMMA, cosine or constant.", default: LearningRateSchedule.official.text)
    static let momentum = OptionSpec.value("--momentum", "M", help: "SGD momentum.", default: "0.9")
    static let nesterov = OptionSpec.flag("--nesterov", help: "Nesterov momentum, as the official recipe (the default).")
    static let plainMomentum = OptionSpec.flag("--no-nesterov", help: "Plain momentum instead of Nesterov's.")
    static let weightDecay = OptionSpec.value("--weight-decay", "W", help: "L2 weight decay on every parameter.", default: "0.0005")
    static let augment = OptionSpec.value("--augment", "kind", help: "Training augmentation: pad 4, random crop, horizontal flip (crop-flip), or none.", default: Augmentation.cropFlip.rawValue, values: Augmentation.allCases.map(\.rawValue))
    static let seed = OptionSpec.value("--seed", "seed", help: "Seed of the order, the crops and flips, a scratch initialisation and the random criterion.", default: "0")
    static let output = OptionSpec.value("-o", "out", help: "The .safetensors checkpoint written after every epoch (replaced atomically): weights, momentum buffers, epoch and seed.")
    static let resume = OptionSpec.flag("--resume", help: "Continue the run whose checkpoint is the -o file, from its last complete epoch.")
    static let json = OptionSpec.flag("--json", help: "Print JSON instead of a summary.")

    static let spec = CommandSpec(
        name: "train",
        overview: "Fine-tune a network (pruned with the official soft-pruning loop, or not) or train one from scratch, on the CPU.",
        arguments: [("checkpoint", CheckpointArgument.help + " Or 'scratch' for the official random initialisation.")],
        options: [
            RunnableArchitecture.option, Self.data, Self.test, Self.images, RateOptions.prune(by: " (the mask is kept through training)"),
            Self.criterion, Self.epochs, Self.batch, Self.learningRate, Self.schedule, Self.momentum, Self.nesterov, Self.plainMomentum, Self.weightDecay,
            Self.augment, Self.seed, DataArguments.normalizeOption, RunnableArchitecture.shortcutOption, Self.output, Self.resume, Self.json,
        ])

    static func run(_ words: [String]) throws(CommandLineError) -> String {
        let arguments = try spec.parseToCompute(words)
        guard let source = arguments.positionals.first else { throw spec.usage("Missing expected argument '<checkpoint>'") }
        let architecture = try RunnableArchitecture.parse(arguments, spec: spec)
        guard let output = arguments.given(Self.output) else { throw spec.usage("Missing expected option '\(Self.output.synopsis)'") }
        guard architecture.inputSize == 32 else { throw spec.usage("CIFAR-10 holds 32 x 32 images; \(architecture.name) takes \(architecture.inputSize) x \(architecture.inputSize)") }
        var settings = try settings(arguments, scratch: source == "scratch")
        let rates = try RateOptions.pruneRates(arguments)
        let kind = CriterionKind(rawValue: arguments.value(Self.criterion) ?? "fpgm") ?? .fpgm
        let shortcut = RunnableArchitecture.shortcut(arguments, spec: spec)
        let limit = try arguments.given(Self.images).map { _ throws(CommandLineError) in try arguments.wholeNumber(Self.images, atLeast: 1) }

        let dataSpec = arguments.value(Self.data) ?? "hub:cifar10/train"
        let all = try DataArguments.images(dataSpec, option: Self.data, split: .train, spec: spec)
        guard all.labels != nil else { throw spec.usage("'\(dataSpec)' has no labels; training needs CIFAR-10 images") }
        guard all.count > 0 else { throw .input("'\(dataSpec)' holds no images") }
        let images = limit.map { all.prefix($0) } ?? all
        let test = try arguments.given(Self.test).map { text throws(CommandLineError) in
            let set = try DataArguments.images(text, option: Self.test, split: .test, spec: spec)
            guard set.labels != nil, set.count > 0 else { throw spec.usage("'\(text)' has no labelled images to measure top-1 on") }
            return set
        }

        var run: TrainingRun
        var resumedFrom = 0
        let selector = try rates.map { rates throws(CommandLineError) in FilterSelector(rates: rates, criterion: kind.criterion(seed: settings.seed)) }
        do {
            if arguments.has(Self.resume) {
                let (checkpoint, state) = try readResumed(output, architecture: architecture)
                if arguments.given(Self.seed) != nil, state.seed != settings.seed {
                    throw CommandLineError.usage("'\(output)' was trained with seed \(state.seed); resume it with that seed or without --seed", spec)
                }
                settings.seed = state.seed
                let weights = try RunnableArchitecture.bind(checkpoint, path: output, to: architecture)
                let velocities: [String: [Float]]
                do { velocities = try TrainingCheckpoint.velocities(of: checkpoint, for: architecture, path: output) } catch { throw CommandLineError.input(error.description) }
                resumedFrom = state.completedEpochs
                run = try TrainingRun(resuming: TrainableNetwork(weights: weights, shortcut: shortcut), velocities: velocities,
                                      completedEpochs: state.completedEpochs, settings: settings, selector: selector)
            } else {
                let weights = source == "scratch" ? BoundWeights.synthetic(architecture, seed: settings.seed) : try startingWeights(source, architecture: architecture)
                run = try TrainingRun(weights: weights, settings: settings, selector: selector, shortcut: shortcut)
            }
        } catch let error as CommandLineError {
            throw error
        } catch let error as SelectionError {
            if case .everyFilterPruned = error { throw .failure(error.description) }
            throw .input("\(source): \(error.description)")
        } catch {
            throw .failure("\(error)")
        }

        let metadata = ["fpgm_source": source == "scratch" ? "scratch" : URL(fileURLWithPath: source).lastPathComponent, "fpgm_data": dataSpec]
            .merging(rates.map { ["fpgm_rate_norm": "\($0.rateNorm)", "fpgm_rate_dist": "\($0.rateDist)", "fpgm_criterion": kind.rawValue] } ?? [:]) { a, _ in a }
        let progress = TrainingProgress(epochs: settings.epochs)
        // Ctrl-C asks the loop to stop after the step in progress (the signal may arrive blocked from a parent).
        signal(SIGINT) { _ in interruptRequested.store(true, ordering: .relaxed) }
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        defer { signal(SIGINT, SIG_DFL) }
        var records = [(record: EpochRecord, test: Evaluation?, seconds: Double)]()
        while run.completedEpochs < settings.epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            let record: EpochRecord, epoch = run.completedEpochs + 1
            do {
                record = try run.runEpoch(images) { step, steps in
                    progress.step(epoch: epoch, step: step, of: steps)
                    return !interruptRequested.load(ordering: .relaxed)
                }
            } catch let error as TrainingError {
                progress.clear()
                let kept = run.completedEpochs > 0 ? "; '\(output)' holds epoch \(run.completedEpochs)" : "; no checkpoint was written"
                switch error {
                case .noImages, .unlabelled: throw .input("'\(dataSpec)': \(error.description)")
                case .imageSide: throw spec.usage("'\(dataSpec)': \(error.description)")
                case .nonFiniteLoss, .interrupted: throw .failure(error.description.prefix(1).uppercased() + error.description.dropFirst() + kept)
                }
            } catch {
                throw .failure("\(error)")
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            do { try TrainingCheckpoint.write(run, extra: metadata, to: output) } catch { throw .input(error.description) }
            let evaluation = test.map { images in
                let weights = run.network.weights
                return Evaluation(network: InferenceNetwork(weights: weights, shortcut: shortcut), weights: weights, images: images, normalization: settings.normalization)
            }
            records.append((record, evaluation, seconds))
            progress.finished(record, test: evaluation?.top1, seconds: seconds)
        }

        if arguments.has(Self.json) {
            return JSONValue.object([
                ("arch", .string(architecture.name)), ("source", .string(source)), ("data", .string(dataSpec)), ("images", .int(images.count)),
                ("resumed_from_epoch", .int(resumedFrom)), ("pruned_filters", .int(run.mask?.count ?? 0)),
                ("epochs", .array(records.map { entry in
                    .object([("epoch", .int(entry.record.epoch)), ("lr", .double(entry.record.learningRate)), ("loss", .double(entry.record.loss)),
                             ("train_top1", .double(entry.record.trainTop1)), ("test_top1", entry.test.map { .double($0.top1) } ?? .null),
                             ("seconds", .double(entry.seconds))])
                })),
                ("output", .string(output)),
            ]).text(indent: 2) + "\n"
        }
        guard !records.isEmpty else { return "'\(output)' already holds \(run.completedEpochs) of \(settings.epochs) epochs; nothing to do.\n" }
        let rows = records.map { entry in
            [String(entry.record.epoch), String(format: "%.4g", entry.record.learningRate), String(format: "%.4f", entry.record.loss),
             String(format: "%.2f%%", 100 * entry.record.trainTop1), entry.test.map { String(format: "%.2f%%", 100 * $0.top1) } ?? "–",
             String(format: "%.1f", entry.seconds)]
        }
        let pruned = run.mask.map { ", \($0.count) filters pruned (\(kind.rawValue))" } ?? ""
        return "Wrote \(output): \(architecture.name) after \(run.completedEpochs) epochs on \(images.count) images\(pruned).\n\n"
            + Table(columns: ["Epoch", "LR", "Loss", "Train top-1", "Test top-1", "Seconds"],
                    alignments: [.right, .right, .right, .right, .right, .right], rows: rows).markdown
    }

    /// The settings the options give; rates and counts that make no sense are usage errors.
    static func settings(_ arguments: ParsedArguments, scratch: Bool) throws(CommandLineError) -> TrainingSettings {
        var settings = TrainingSettings(epochs: try arguments.wholeNumber(Self.epochs, atLeast: 1))
        settings.batch = try arguments.wholeNumber(Self.batch, atLeast: 1)
        if arguments.given(Self.learningRate) != nil {
            let rate = try arguments.number(Self.learningRate) ?? 0
            guard rate > 0 else { throw spec.usage("The value '\(arguments.given(Self.learningRate)!)' is invalid for '\(Self.learningRate.synopsis)': the learning rate must be positive") }
            settings.learningRate = rate
        } else {
            settings.learningRate = scratch ? 0.1 : 0.01
        }
        do { settings.schedule = try LearningRateSchedule.parse(arguments.value(Self.schedule) ?? "") } catch {
            throw spec.usage("The value '\(arguments.value(Self.schedule) ?? "")' is invalid for '\(Self.schedule.synopsis)': \(error.problem)")
        }
        settings.momentum = try arguments.number(Self.momentum) ?? 0.9
        guard (0..<1).contains(settings.momentum) else { throw spec.usage("'\(Self.momentum.synopsis)' must lie in [0, 1), got \(settings.momentum)") }
        if arguments.has(Self.nesterov), arguments.has(Self.plainMomentum) { throw spec.usage("Give either '--nesterov' or '--no-nesterov', not both") }
        settings.nesterov = !arguments.has(Self.plainMomentum)
        settings.weightDecay = try arguments.number(Self.weightDecay) ?? 5e-4
        guard settings.weightDecay >= 0 else { throw spec.usage("'\(Self.weightDecay.synopsis)' must not be negative, got \(settings.weightDecay)") }
        settings.augmentation = arguments.choice(Self.augment, as: Augmentation.self) ?? .cropFlip
        settings.seed = UInt64(try arguments.wholeNumber(Self.seed, atLeast: 0))
        settings.normalization = DataArguments.normalization(arguments, spec: spec)
        return settings
    }

    /// The weights of a trained checkpoint (not a compact one: training keeps every filter).
    static func startingWeights(_ path: String, architecture: Architecture) throws(CommandLineError) -> BoundWeights {
        let (resolved, checkpoint) = try CheckpointArgument.read(path)
        if CompactCheckpoint.isCompact(checkpoint) {
            throw spec.usage("'\(path)' is already pruned (written by 'fpgm prune --compact'); train the file it came from with '--prune'")
        }
        return try RunnableArchitecture.bind(checkpoint, path: resolved, to: architecture)
    }

    /// The checkpoint to resume and its training state; a file that is missing, not written by
    /// `fpgm train`, or written for another architecture is an input error.
    static func readResumed(_ path: String, architecture: Architecture) throws(CommandLineError) -> (Checkpoint, TrainingCheckpoint.State) {
        guard FileManager.default.fileExists(atPath: path) else { throw .input("\(path): does not exist, so there is no run to resume") }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(path: path) } catch { throw .input(error.description) }
        guard let state = TrainingCheckpoint.state(of: checkpoint) else {
            throw .input("\(path): was not written by 'fpgm train' (it has no training metadata), so there is no run to resume")
        }
        guard state.architecture == architecture.name else {
            throw .input("\(path): holds a \(state.architecture) run and cannot resume as \(architecture.name)")
        }
        return (checkpoint, state)
    }
}

/// Progress on stderr: on a terminal a bar for the epoch in progress, and one line per finished epoch.
final class TrainingProgress {
    let epochs: Int
    let terminal = isatty(STDERR_FILENO) == 1

    init(epochs: Int) { self.epochs = epochs }

    func step(epoch: Int, step: Int, of steps: Int) {
        guard terminal else { return }
        let width = 30, filled = width * step / max(1, steps)
        write("\r\u{1B}[2Kepoch \(epoch)/\(epochs) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] step \(step)/\(steps)",
              to: .standardError)
    }

    func clear() { if terminal { write("\r\u{1B}[2K", to: .standardError) } }

    func finished(_ record: EpochRecord, test: Double?, seconds: Double) {
        clear()
        let testText = test.map { String(format: ", test top-1 %.2f%%", 100 * $0) } ?? ""
        write(String(format: "epoch %d/%d: lr %.4g, loss %.4f, train top-1 %.2f%%%@, %.1f s\n", record.epoch, epochs, record.learningRate,
                     record.loss, 100 * record.trainTop1, testText, seconds), to: .standardError)
    }
}
