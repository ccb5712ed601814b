import FPGM
import Foundation

/// Training: SGD steps of the official recipe on the trained ResNet-56 (batch 128, crop-flip, Nesterov,
/// weight decay; both cores), in images per second, against PyTorch's CPU training of the same network
/// on the same images, timed in turns (Tools/torch_train_speed.py in `FPGM_TORCH_PYTHON`, by default
/// .build/torch-venv/bin/python; goal: at least 1.5x). Checked first: the loss and all 59 gradients of
/// ResNet-20 on 32 shared images equal PyTorch's autograd (Tests/Fixtures/training) to 1e-4 relative.
enum TrainingBenchmark {
    static let steps = 8, turns = 3

    static func run() throws {
        guard let weightsFolder = launchEnvironment["FPGM_WEIGHTS_DIR"], let dataFolder = launchEnvironment["FPGM_DATA_DIR"] else {
            print("train: skipped, set FPGM_WEIGHTS_DIR and FPGM_DATA_DIR to the folders of the trained weights and the CIFAR-10 images")
            return
        }
        let data = ImageData(environment: ["FPGM_DATA_DIR": dataFolder])
        let train = try data.load("hub:cifar10/train", split: .train)
        try checkGradients(weightsFolder: weightsFolder, train: train)

        let weights = try Architecture.named("resnet56").bind(Checkpoint.read(path: weightsFolder + "/resnet56-4bfd9763.th"))
        var settings = TrainingSettings(epochs: 1)
        settings.seed = 1
        let images = train.prefix(128 * steps)
        let torchPython = launchEnvironment["FPGM_TORCH_PYTHON"] ?? packageRoot.appendingPathComponent(".build/torch-venv/bin/python").path
        let hasTorch = FileManager.default.isExecutableFile(atPath: torchPython)
        var ours = [Double](), theirs = [Double](), convolutionShare = 0.0, version = ""
        let before = ProcessorTimes.read()
        for _ in 0..<turns {
            var run = try TrainingRun(weights: weights, settings: settings, selector: nil)
            ours.append(Double(images.count) / time(1) { _ = try? run.runEpoch(images) }.median)
            guard hasTorch else { continue }
            let output = try runProgram(torchPython, [packageRoot.appendingPathComponent("Tools/torch_train_speed.py").path, weightsFolder, dataFolder,
                                                      "--steps", String(steps), "--threads", String(ProcessInfo.processInfo.activeProcessorCount)])
            let line = String(decoding: output, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("{") } ?? ""
            let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            theirs.append(json?["images_per_second"] as? Double ?? 0)
            convolutionShare = json?["convolution_share"] as? Double ?? 0
            version = json?["torch"] as? String ?? ""
        }
        print("train: ResNet-56, batch 128, crop-flip, \(steps) steps a turn, \(ProcessInfo.processInfo.activeProcessorCount) threads; checks: the loss and 59 gradients of ResNet-20 equal PyTorch's to 1e-4")
        if let before, let after = ProcessorTimes.read() {
            print(String(format: "processor time taken by the host for other machines during the turns (steal): %.1f%%", 100 * after.stolenShare(since: before)))
        }
        print(String(format: "fpgm: %@ images/s", ours.map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        guard hasTorch else {
            print("PyTorch: skipped (sh Tools/torch_venv.sh makes .build/torch-venv, or set FPGM_TORCH_PYTHON)")
            return
        }
        print(String(format: "PyTorch %@ (its profiler puts %.0f%% of a step in convolution): %@ images/s", version, 100 * convolutionShare,
                     theirs.map { String(format: "%.1f", $0) }.joined(separator: ", ")))
        print(String(format: "fpgm / PyTorch, medians in turns: %.2fx (goal: at least 1.5)", ours.sorted()[turns / 2] / theirs.sorted()[turns / 2]))
    }

    /// The gradients of ResNet-20 on the first 32 shared training images against the PyTorch fixture.
    static func checkGradients(weightsFolder: String, train: ImageSet) throws {
        let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures/training")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("expected.json"))) as? [String: Any]
        let arrays = Dictionary(uniqueKeysWithValues: try Checkpoint.read(path: fixtures.appendingPathComponent("resnet20-step.npz").path).tensors
            .map { ($0.name, $0.tensor.scalars) })
        var network = TrainableNetwork(weights: try Architecture.named("resnet20").bind(Checkpoint.read(path: weightsFolder + "/resnet20-12fca82f.th")))
        let batch = train.prefix(32)
        let result = network.gradients(images: batch.maps(normalization: .imagenet), labels: batch.labels ?? [])
        guard let loss = expected?["loss"] as? Double, abs(result.loss - loss) <= 1e-4 * abs(loss) else {
            throw BenchmarkFailure(description: "the loss \(result.loss) is not PyTorch's")
        }
        for name in network.parameterNames {
            guard let ours = result.gradients[name], let theirs = arrays["grad/\(name)"], scaledDifference(ours, from: theirs) < 1e-4 else {
                throw BenchmarkFailure(description: "the gradient of \(name) is not PyTorch's")
            }
        }
    }
}

/// The processors' time as Linux counts it in /proc/stat (all processors, in clock ticks): in all, and
/// stolen, the time a virtual machine's processors waited while the host ran other machines. A share
/// of a few percent or more between two readings means the timings between them are noisy.
struct ProcessorTimes {
    let stolen: Double
    let total: Double

    /// The first line of /proc/stat (user, nice, system, idle, iowait, irq, softirq, steal, ...), or nil off Linux.
    static func read() -> ProcessorTimes? {
        guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
              let line = text.split(separator: "\n").first, line.hasPrefix("cpu ") else { return nil }
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return nil }
        return ProcessorTimes(stolen: ticks[7], total: ticks.prefix(8).reduce(0, +))
    }

    /// The share of the time since `start` that was stolen.
    func stolenShare(since start: ProcessorTimes) -> Double { (stolen - start.stolen) / max(1, total - start.total) }
}
