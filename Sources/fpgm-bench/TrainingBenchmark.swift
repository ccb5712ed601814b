import FPGM
import Foundation

/// Training: steps of the official fine-tuning recipe on ResNet-56 masked by FPGM-only 40% (batch 128,
/// crop-flip, Nesterov, weight decay), in images per second, against PyTorch's CPU training of the same
/// network on the same images in the same run (Tools/torch_train_speed.py; goal: at least 1.5x).
enum TrainingBenchmark {
    static let steps = 2

    static func run() throws {
        guard let weightsFolder = launchEnvironment["FPGM_WEIGHTS_DIR"], let dataFolder = launchEnvironment["FPGM_DATA_DIR"] else {
            print("train: skipped, set FPGM_WEIGHTS_DIR and FPGM_DATA_DIR to the folders of the trained weights and the CIFAR-10 images")
            return
        }
        let data = ImageData(environment: ["FPGM_DATA_DIR": dataFolder])
        let train = try data.load("hub:cifar10/train", split: .train)
        let architecture = try Architecture.named("resnet56")
        let weights = try architecture.bind(Checkpoint.read(path: weightsFolder + "/resnet56-4bfd9763.th"))
        var settings = TrainingSettings(epochs: 1)
        settings.seed = 1
        let selector = try FilterSelector(rates: PruningRates(rateNorm: 1, rateDist: 0.4))
        var run = try TrainingRun(weights: weights, settings: settings, selector: selector)
        let images = train.prefix(128 * steps)
        let timing = try time(1) { _ = try run.runEpoch(images) }
        print(timing.row("fpgm, \(steps) steps of batch 128") + String(format: "   %8.1f images/s", Double(128 * steps) / timing.median))
    }
}
