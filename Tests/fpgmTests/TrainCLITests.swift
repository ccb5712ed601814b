import Foundation
import Testing

/// `fpgm train` on the trained ResNet-20 and a few shared training images (the debug build trains
/// about ten images a second; the engine's values are checked against PyTorch in FPGMTests).
@Suite("fpgm train", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil
                                && ProcessInfo.processInfo.environment["FPGM_DATA_DIR"] != nil))
struct TrainCLITests {
    static let resnet20 = (ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] ?? "") + "/resnet20-12fca82f.th"
    /// 48 images in batches of 16, FPGM-only 40%: three steps an epoch.
    static let small = ["--arch", "resnet20", "--images", "48", "--batch", "16", "--prune", "1,0.4", "--seed", "7"]

    static func train(_ extra: [String], source: String = resnet20) throws -> FPGMProcess {
        try FPGMProcess(["train", source] + small + extra)
    }

    @Test("--resume after epoch 1 of 2 writes the uninterrupted run's file byte for byte; the file loads in evaluate and prune --compact")
    func resume() throws {
        let work = try scratchFolder("fpgm-train-resume-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let whole = work.appendingPathComponent("whole.safetensors").path, parts = work.appendingPathComponent("parts.safetensors").path
        let uninterrupted = try Self.train(["--epochs", "2", "-o", whole, "--json"])
        #expect(uninterrupted.status == 0, "\(uninterrupted.stderr)")
        let epochs = try #require(uninterrupted.json?["epochs"] as? [[String: Any]])
        #expect(epochs.map { $0["epoch"] as? Int } == [1, 2] && epochs.allSatisfy { $0["lr"] as? Double == 0.01 && $0["test_top1"] is NSNull })
        #expect(uninterrupted.json?["pruned_filters"] as? Int == 264 && uninterrupted.json?["output"] as? String == whole)
        #expect(uninterrupted.stderr.contains("epoch 2/2: lr 0.01, loss "))

        let first = try Self.train(["--epochs", "1", "-o", parts])
        #expect(first.status == 0 && first.stdout.hasPrefix("Wrote \(parts): resnet20 after 1 epochs on 48 images, 264 filters pruned (fpgm)."))
        let resumed = try Self.train(["--epochs", "2", "-o", parts, "--resume", "--json", "--test", "hub:cifar10/test"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.json?["resumed_from_epoch"] as? Int == 1 && (resumed.json?["epochs"] as? [[String: Any]])?.map { $0["epoch"] as? Int } == [2])
        #expect(FileManager.default.contents(atPath: parts) == FileManager.default.contents(atPath: whole))
        let test = try #require((resumed.json?["epochs"] as? [[String: Any]])?.first?["test_top1"] as? Double)

        let evaluated = try FPGMProcess(["evaluate", parts, "--arch", "resnet20", "--json"])
        #expect(evaluated.status == 0, "\(evaluated.stderr)")
        #expect(evaluated.json?["top1"] as? Double == test)
        let compact = try FPGMProcess(["prune", parts, "--arch", "resnet20", "--rate-dist", "0.4", "--compact", "-o", work.appendingPathComponent("c.safetensors").path, "--json"])
        #expect(compact.status == 0 && compact.json?["pruned_filters"] as? Int == 264, "\(compact.stderr)")
        let again = try Self.train(["--epochs", "2", "-o", parts, "--resume"])
        #expect(again.status == 0 && again.stdout == "'\(parts)' already holds 2 of 2 epochs; nothing to do.\n")
    }

    @Test("bad input: a learning rate of 0 or NaN, a schedule that does not parse, another image size (2); an empty set, a resume file of another network (3)")
    func badInput() throws {
        let work = try scratchFolder("fpgm-train-errors-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out.safetensors").path
        let zero = try Self.train(["--lr", "0", "-o", out])
        #expect(zero.status == 2 && zero.stderr.hasPrefix("Error: The value '0' is invalid for '--lr <L>': the learning rate must be positive\n"))
        let nan = try Self.train(["--lr", "nan", "-o", out])
        #expect(nan.status == 2 && nan.stderr.hasPrefix("Error: The value 'nan' is invalid for '--lr <L>': not a number\n"))
        let schedule = try Self.train(["--schedule", "step:60,30:0.2", "-o", out])
        #expect(schedule.status == 2 && schedule.stderr.hasPrefix("Error: The value 'step:60,30:0.2' is invalid for '--schedule <spec>': has milestones that do not increase\n"))
        let side = try FPGMProcess(["train", "scratch", "--arch", "resnet50", "-o", out])
        #expect(side.status == 2 && side.stderr.hasPrefix("Error: CIFAR-10 holds 32 x 32 images; resnet50 takes 224 x 224\n"))
        let emptyFile = work.appendingPathComponent("empty.bin").path
        FileManager.default.createFile(atPath: emptyFile, contents: Data())
        let empty = try Self.train(["--data", emptyFile, "-o", out])
        #expect(empty.status == 3 && empty.stderr.hasPrefix("Error: \(emptyFile)"), "\(empty.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))

        let trained = try Self.train(["--epochs", "1", "-o", out])
        try #require(trained.status == 0)
        let other = try FPGMProcess(["train", Self.resnet20, "--arch", "resnet32", "--images", "16", "--epochs", "2", "-o", out, "--resume"])
        #expect(other.status == 3 && other.stderr == "Error: \(out): holds a resnet20 run and cannot resume as resnet32\n")
        let missing = try Self.train(["--epochs", "2", "-o", work.appendingPathComponent("none.safetensors").path, "--resume"])
        #expect(missing.status == 3 && missing.stderr.contains("does not exist, so there is no run to resume"))
        let seed = try FPGMProcess(["train", Self.resnet20, "--arch", "resnet20", "--images", "16", "--epochs", "2", "--seed", "8", "-o", out, "--resume"])
        #expect(seed.status == 2 && seed.stderr.hasPrefix("Error: '\(out)' was trained with seed 7; resume it with that seed or without --seed\n"))
    }

    @Test("a loss that becomes NaN stops naming the epoch and step (exit 1) and leaves the last complete epoch's checkpoint as it was")
    func divergence() throws {
        let work = try scratchFolder("fpgm-train-nan-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out.safetensors").path
        try #require(try Self.train(["--epochs", "1", "-o", out]).status == 0)
        let before = FileManager.default.contents(atPath: out)
        let diverged = try Self.train(["--epochs", "2", "--lr", "1e30", "-o", out, "--resume"])
        #expect(diverged.status == 1 && diverged.stderr.hasPrefix("Error: The loss became NaN or infinite at epoch 2, step "), "\(diverged.stderr)")
        #expect(diverged.stderr.hasSuffix("; lower the learning rate; '\(out)' holds epoch 1\n"))
        #expect(FileManager.default.contents(atPath: out) == before)
    }

    @Test("Ctrl-C stops after the step in progress (exit 1) and the checkpoint holds the last complete epoch")
    func interrupt() throws {
        let work = try scratchFolder("fpgm-train-interrupt-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let out = work.appendingPathComponent("out.safetensors").path
        let process = Process()
        process.executableURL = FPGMProcess.binary
        process.arguments = ["train", Self.resnet20] + Self.small + ["--epochs", "8", "-o", out]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        while process.isRunning, !FileManager.default.fileExists(atPath: out) { usleep(50_000) }
        kill(process.processIdentifier, SIGINT)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let last = try #require(message.split(separator: "\n").last)
        #expect(last.hasPrefix("Error: Interrupted during epoch ") && last.hasSuffix("; '\(out)' holds epoch \(Int(last.split(separator: " ")[4].dropLast())! - 1)"),
                "\(message)")
        let evaluated = try FPGMProcess(["evaluate", out, "--arch", "resnet20", "--images", "16", "--json"])
        #expect(evaluated.status == 0)
    }
}
