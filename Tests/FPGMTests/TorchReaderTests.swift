import Foundation
import Testing
@testable import FPGM

/// PyTorch files written by Tools/make_torch_fixtures.py (Python's pickle and zipfile, no torch).
@Suite("PyTorch readers")
struct TorchReaderTests {
    static let expected: [String: (shape: [Int], dtype: String, values: [Double])] = {
        let json = try! Fixtures.json("torch/expected.json") as! [String: [String: Any]]
        return json.mapValues { ($0["shape"] as! [Int], $0["dtype"] as! String, $0["values"] as! [Double]) }
    }()

    func read(_ name: String) throws -> Checkpoint { try Checkpoint.read(path: Fixtures.path("torch/\(name)")) }

    @Test("zip (two folder names, and streamed with zip64), legacy 0.4-1.5 and a top-level dict give the tensors torch saved", arguments: [
        ("zip-archive.pt", CheckpointFormat.torchZip), ("zip-model.pt", .torchZip), ("zip-streamed.pt", .torchZip),
        ("legacy.pt", .torchLegacy), ("toplevel.pt", .torchLegacy),
    ])
    func formats(file: String, format: CheckpointFormat) throws {
        let checkpoint = try read(file)
        #expect(checkpoint.format == format)
        #expect(checkpoint.tensors.map(\.name) == ["conv.weight", "bn.running_var", "bn.num_batches_tracked", "half.values",
                                                   "bf16.values", "view.whole", "view.strided", "fc.weight"])
        for tensor in checkpoint.tensors {
            let reference = try #require(Self.expected[tensor.name])
            #expect(tensor.tensor.shape == reference.shape, "\(file) \(tensor.name)")
            #expect(tensor.dtype.rawValue == reference.dtype, "\(file) \(tensor.name)")
            #expect(tensor.tensor.scalars.map(Double.init) == reference.values.map { Double(Float($0)) }, "\(file) \(tensor.name)")
        }
    }

    @Test("every reader gives identical tensors: torch zip and legacy, safetensors, stored and deflated npz")
    func identicalAcrossReaders() throws {
        let reference = try read("zip-archive.pt").tensors
        for file in ["zip-model.pt", "zip-streamed.pt", "legacy.pt", "toplevel.pt", "same.safetensors", "same-stored.npz", "same-deflated.npz"] {
            let other = try read(file)
            for tensor in reference {
                #expect(other.tensor(named: tensor.name)?.tensor == tensor.tensor, "\(file) \(tensor.name)")
            }
        }
    }

    @Test("scalar entries beside the state dict become metadata")
    func metadata() throws {
        #expect(try read("zip-archive.pt").metadata == ["epoch": "7"])
        #expect(try read("legacy.pt").metadata == ["best_prec1": "91.5"])
    }
}

/// Hostile PyTorch files: each must be refused with one sentence naming the file and the problem.
@Suite("Hostile PyTorch files")
struct HostileTorchTests {
    @Test("pickles that would run code are refused naming the global", arguments: [
        ("os-system.pt", "'os.system'"), ("os-system-stack-global.pt", "'os.system'"),
        ("builtins-eval.pt", "'builtins.eval'"), ("subprocess-popen.pt", "'subprocess.Popen'"),
    ])
    func code(file: String, global: String) {
        #expect(refusal(Fixtures.path("torch/hostile/\(file)")).contains("refuses to load the global \(global)"))
    }

    @Test("deep nesting, memo references out of range, a 2 GB declared string, bad shapes and storages", arguments: [
        ("deeply-nested-tuples.pt", "nests tuples more than 64 deep"),
        ("deeply-nested-lists.pt", "not a PyTorch checkpoint"),
        ("memo-out-of-range.pt", "memo entry 7, which does not exist"),
        ("long-memo-out-of-range.pt", "memo entry 2147483647, which does not exist"),
        ("two-gigabyte-string.pt", "declares 2147483648 bytes where only 4 remain"),
        ("negative-shape.pt", "negative"),
        ("overflowing-shape.pt", "overflowing size"),
        ("beyond-storage.pt", "reaching element 24 of a storage of 20"),
        ("storage-size-beyond-file.pt", "for 1099511627776 elements"),
    ])
    func structure(file: String, message: String) {
        let problem = refusal(Fixtures.path("torch/hostile/\(file)"))
        #expect(problem.contains(message), "\(problem)")
    }

    @Test("legacy and zip files truncated at every byte")
    func truncated() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-torch-cut-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for file in ["legacy.pt", "zip-archive.pt"] {
            let whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/\(file)")))
            for cut in 0..<whole.count {
                let path = folder.appendingPathComponent("\(cut)-\(file)").path
                _ = FileManager.default.createFile(atPath: path, contents: whole.prefix(cut))
                refusal(path)
            }
        }
    }

    @Test("a zip whose central directory lies about an entry's size, and a damaged storage")
    func lyingZip() throws {
        var whole = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("torch/zip-archive.pt")))
        let directory = try #require(whole.firstRange(of: Data([0x50, 0x4B, 0x01, 0x02])))
        var lying = whole
        for k in 0..<4 { lying[directory.lowerBound + 24 + k] = 0x10 }
        let folder = FileManager.default.temporaryDirectory
        let lyingPath = folder.appendingPathComponent("fpgm-lying-\(getpid()).pt").path
        _ = FileManager.default.createFile(atPath: lyingPath, contents: lying)
        defer { try? FileManager.default.removeItem(atPath: lyingPath) }
        refusal(lyingPath)
        let data = try #require(whole.firstRange(of: Data("archive/data/0".utf8)))
        whole[data.upperBound + 40] ^= 0x55
        let damagedPath = folder.appendingPathComponent("fpgm-damaged-\(getpid()).pt").path
        _ = FileManager.default.createFile(atPath: damagedPath, contents: whole)
        defer { try? FileManager.default.removeItem(atPath: damagedPath) }
        refusal(damagedPath)
    }
}

/// The trained CIFAR ResNets of ../shared/weights against their independent description.
@Suite("Trained checkpoints", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct TrainedCheckpointTests {
    static let folder = URL(fileURLWithPath: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] ?? "/")

    @Test("names, shapes, dtypes and abs_sum to 1e-9 match weights/expected.json", arguments: [
        "resnet20-12fca82f.th", "resnet32-d509ac18.th", "resnet44-014dd654.th", "resnet56-4bfd9763.th",
    ])
    func expected(file: String) throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("expected.json"))) as? [String: [String: Any]])
        let facts = try #require(json[file])
        let tensors = try #require(facts["tensors"] as? [[String: Any]])
        let checkpoint = try Checkpoint.read(path: Self.folder.appendingPathComponent(file).path)
        #expect(checkpoint.format == .torchLegacy)
        #expect(checkpoint.tensors.count == tensors.count)
        for (mine, theirs) in zip(checkpoint.tensors, tensors) {
            #expect(mine.name == theirs["name"] as? String)
            #expect(mine.tensor.shape == theirs["shape"] as? [Int])
            #expect(mine.dtype.rawValue == theirs["dtype"] as? String)
            #expect(relativelyClose(mine.tensor.absoluteSum, theirs["abs_sum"] as! Double, 1e-9), "\(mine.name)")
        }
        #expect(checkpoint.metadata["best_prec1"].flatMap(Double.init) == facts["best_prec1"] as? Double)
    }

    @Test("each binds to its architecture, which inference also finds", arguments: [
        ("resnet20-12fca82f.th", "resnet20"), ("resnet32-d509ac18.th", "resnet32"), ("resnet44-014dd654.th", "resnet44"), ("resnet56-4bfd9763.th", "resnet56"),
    ])
    func binding(file: String, arch: String) throws {
        let checkpoint = try Checkpoint.read(path: Self.folder.appendingPathComponent(file).path)
        #expect(try Architecture.infer(from: checkpoint).architecture.name == arch)
        #expect(try Architecture.named(arch).bind(checkpoint).prunableLayers.count == (try Architecture.named(arch)).convolutions.count)
    }
}
