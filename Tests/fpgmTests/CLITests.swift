import Foundation
import Testing
@testable import fpgm

/// A fresh, empty folder in the temporary directory (removed first if a previous run left it).
func scratchFolder(_ name: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// A scratch folder holding `n.md`, a notebook of one quick cell (the FLOPs of ResNet-20 at 30%).
func oneCellNotebookFolder(_ name: String) throws -> URL {
    let folder = try scratchFolder(name)
    try "```fpgm flops\narchs: [resnet20]\nrates: [0.3]\n```\n".write(to: folder.appendingPathComponent("n.md"), atomically: true, encoding: .utf8)
    return folder
}

/// Runs the built `fpgm` binary, as a user would, and checks its output and exit codes.
struct FPGMProcess {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = packageRoot.appendingPathComponent("Tests/Fixtures")

    /// The binary next to the test bundle (the build folder of this `swift test`).
    static let binary: URL = {
        let beside = Bundle.main.bundleURL.appendingPathComponent("fpgm")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/fpgm")
    }()

    let status: Int32
    let stdout: String
    let stderr: String

    init(_ arguments: [String], in directory: URL? = nil, binary: URL = FPGMProcess.binary) throws {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        status = process.terminationStatus
        stdout = String(decoding: outData, as: UTF8.self)
        stderr = String(decoding: errData, as: UTF8.self)
    }

    var json: [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(stdout.utf8))) as? [String: Any]
    }

    /// A cell's exported values from a JSON report, numbers written back as text (0.2326 as "0.2326").
    static func texts(_ values: Any?) -> [String: String] {
        ((values as? [String: Any]) ?? [:]).mapValues { value in (value as? String) ?? "\(value)" }
    }
}

@Suite("fpgm command line")
struct CLITests {
    /// Compares `text` with the golden file; FPGM_RECORD=1 rewrites the file instead (on purpose only).
    func golden(_ text: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = FPGMProcess.fixtures.appendingPathComponent("cli/\(name)")
        if ProcessInfo.processInfo.environment["FPGM_RECORD"] == "1" {
            try Data(text.utf8).write(to: url)
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(text == expected, "golden file \(name) differs", sourceLocation: sourceLocation)
    }

    @Test("help texts in the swift-argument-parser layout", arguments: [
        (["--help"], "help.txt"), (["help", "flops"], "flops-help.txt"), (["select", "--help"], "select-help.txt"),
        (["help", "inspect"], "inspect-help.txt"), (["norms", "-h"], "norms-help.txt"), (["render", "--help"], "render-help.txt"),
        (["forward", "--help"], "forward-help.txt"), (["help", "prune"], "prune-help.txt"), (["help", "directives"], "directives-help.txt"),
        (["preview", "--help"], "preview-help.txt"), (["evaluate", "--help"], "evaluate-help.txt"), (["help", "train"], "train-help.txt"),
    ])
    func help(arguments: [String], file: String) throws {
        let run = try FPGMProcess(arguments)
        #expect(run.status == 0)
        #expect(run.stderr.isEmpty)
        try golden(run.stdout, file)
    }

    @Test("fpgm help DIRECTIVE gives every argument with its kind and default, and the exports; notebooks/directives.md is the same specs as Markdown")
    func directiveHelp() throws {
        let agreement = try FPGMProcess(["help", "agreement"])
        #expect(agreement.status == 0 && agreement.stdout.hasPrefix("DIRECTIVE: agreement - logit error and top-1 agreement"))
        #expect(agreement.stdout.contains("\n  mix_dist                The mix's FPGM share (the official scripts: 0.1 of\n                          0.4) (a number from 0 to 1; default: 0.1).\n"))
        #expect(agreement.stdout.contains("EXPORTS (for {{label.key}} in prose):\n  agreement_<criterion> and agreement_one_class"))
        // A name that is a subcommand too: `help NAME` is the subcommand's, `help directive NAME` the directive's.
        #expect(try FPGMProcess(["help", "flops"]).stdout.hasSuffix("The directive 'flops' has help of its own: 'fpgm help directive flops'.\n"))
        let flops = try FPGMProcess(["help", "directive", "flops"])
        #expect(flops.status == 0 && flops.stdout.contains("\n  rates                   Fractions of filters pruned in every layer (a list of\n                          numbers from 0 to 1; default: [0.4]).\n"))
        let unknown = try FPGMProcess(["help", "agreemnt"])
        #expect(unknown.status == 2 && unknown.stderr.hasPrefix("Error: Unknown subcommand or directive 'agreemnt'. Did you mean 'agreement'?\n"))
        let markdown = try FPGMProcess(["help", "directives", "--markdown"])
        let reference = try String(contentsOf: FPGMProcess.packageRoot.appendingPathComponent("notebooks/directives.md"), encoding: .utf8)
        #expect(markdown.status == 0 && markdown.stdout == reference, "notebooks/directives.md is stale: fpgm help directives --markdown > notebooks/directives.md")
        #expect(reference.contains("| `rates` | a list of numbers from 0 to 1 | `[0.4]` | fractions of filters pruned in every layer |\n"))
    }

    @Test("--version")
    func version() throws {
        let run = try FPGMProcess(["--version"])
        #expect(run.status == 0 && run.stdout == "0.1.0\n")
    }

    @Test("flops --json reproduces the paper's Table 1 row for ResNet-56 at 40%")
    func flopsJSON() throws {
        let run = try FPGMProcess(["flops", "--arch", "resnet56", "--rate", "0.4", "--convention", "paper", "--json"])
        #expect(run.status == 0)
        let json = try #require(run.json)
        #expect(json["arch"] as? String == "resnet56")
        #expect(json["convention"] as? String == "paper")
        #expect(json["baseline_macs"] as? Int == 125_485_056)
        #expect(abs((json["pruned_macs"] as? Double ?? 0) - 59_436_564.5) <= 1)
        #expect(((json["reduction"] as? Double ?? 0) * 1000).rounded() == 526)
    }

    @Test("flops in the exact convention counts the classifier and integer filters")
    func flopsExact() throws {
        let run = try FPGMProcess(["flops", "--arch", "resnet18", "--rate-norm", "1", "--rate-dist", "0", "--convention", "exact", "--json"])
        let json = try #require(run.json)
        #expect(json["baseline_macs"] as? Int == 1_813_561_344 + 512_000)
        #expect(json["pruned_macs"] as? Int == 1_813_561_344 + 512_000)
        #expect(json["baseline_params"] as? Int == 11_689_512)
        #expect(json["pruned_params"] as? Int == 11_689_512)
    }

    @Test("flops as a table names the unit")
    func flopsTable() throws {
        let run = try FPGMProcess(["flops", "--arch", "resnet110", "--rate", "0.3"])
        #expect(run.status == 0)
        #expect(run.stdout.contains("| resnet110 |") && run.stdout.contains("40.8") && run.stdout.contains("MACs per image"))
    }

    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"].map { URL(fileURLWithPath: $0) }

    @Test("inspect --json matches weights/expected.json", .enabled(if: weights != nil),
          arguments: ["resnet20-12fca82f.th", "resnet56-4bfd9763.th"])
    func inspectTrained(file: String) throws {
        let folder = try #require(Self.weights)
        let expected = try #require((try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("expected.json"))) as? [String: [String: Any]])?[file])
        let run = try FPGMProcess(["inspect", folder.appendingPathComponent(file).path, "--json"])
        #expect(run.status == 0)
        let json = try #require(run.json)
        #expect(json["format"] as? String == "torch-legacy")
        #expect(json["sha256"] as? String == expected["sha256"] as? String)
        #expect(json["bytes"] as? Int == expected["bytes"] as? Int)
        let mine = try #require(json["tensors"] as? [[String: Any]]), theirs = try #require(expected["tensors"] as? [[String: Any]])
        #expect(mine.count == theirs.count)
        for (a, b) in zip(mine, theirs) {
            #expect(a["name"] as? String == b["name"] as? String)
            #expect(a["shape"] as? [Int] == b["shape"] as? [Int])
            #expect(a["dtype"] as? String == b["dtype"] as? String)
            let sum = a["abs_sum"] as? Double ?? 0, reference = b["abs_sum"] as? Double ?? 1
            #expect(abs(sum - reference) <= 1e-9 * abs(reference), "\(a["name"] ?? "")")
        }
    }

    @Test("select on the trained ResNet-56 equals the numpy restatement of the official code", .enabled(if: weights != nil),
          arguments: [0, 1])
    func selectTrained(run index: Int) throws {
        let folder = try #require(Self.weights)
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: FPGMProcess.fixtures.appendingPathComponent("torch/select-resnet56.json"))) as? [String: Any])
        let expected = (fixture["runs"] as! [[String: Any]])[index]
        let run = try FPGMProcess(["select", folder.appendingPathComponent("resnet56-4bfd9763.th").path,
                                   "--rate-norm", "\(expected["rate_norm"] as! Double)", "--rate-dist", "\(expected["rate_dist"] as! Double)", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json?["arch"] as? String == "resnet56")
        let layers = try #require(run.json?["layers"] as? [[String: Any]])
        let official = expected["layers"] as! [[String: Any]]
        #expect(layers.count == 55 && official.count == 55)
        for (mine, theirs) in zip(layers, official) {
            #expect(mine["name"] as? String == theirs["name"] as? String)
            #expect(mine["pruned_norm"] as? [Int] == theirs["pruned_norm"] as? [Int], "\(theirs["name"] ?? "")")
            #expect(mine["pruned_dist"] as? [Int] == theirs["pruned_dist"] as? [Int], "\(theirs["name"] ?? "")")
        }
    }

    @Test("norms --json gives every filter's L2 norm; its statistics agree with them")
    func norms() throws {
        let path = FPGMProcess.fixtures.appendingPathComponent("selection/layers.npz").path
        let run = try FPGMProcess(["norms", path, "--json"])
        #expect(run.status == 0)
        let layers = try #require(run.json?["layers"] as? [[String: Any]])
        #expect(layers.count == 6)
        for layer in layers {
            let l2 = try #require(layer["l2"] as? [Double])
            #expect(l2.count == layer["filters"] as? Int)
            #expect(layer["min"] as? Double == l2.min() && layer["max"] as? Double == l2.max())
        }
    }

    @Test("usage errors: one Error line, the usage, the help pointer, exit 2", arguments: [
        (["flops", "--arch", "resnet57"], "unknown arch 'resnet57' (known: resnet20"),
        (["flops", "--arch", "resnet20", "--rate", "1.5"], "must lie in [0, 1], got 1.5"),
        (["flops", "--arch", "resnet20", "--rate", "-0.1"], "must lie in [0, 1], got -0.1"),
        (["flops", "--arch", "resnet20", "--rat", "0.3"], "Unknown option '--rat'. Did you mean '--rate'?"),
        (["flops", "--arch", "resnet20", "--rate", "abc"], "not a number"),
        (["flops", "--rate", "0.3"], "Missing expected argument '--arch <arch>'"),
        (["flops", "--arch", "resnet20", "--rate", "0.3", "--rate-dist", "0.2"], "either '--rate'"),
        (["select", "--arch", "resnet20", "--rate-norm", "1.2", "--synthetic"], "rate-norm must lie in [0, 1], got 1.2"),
        (["select", "--synthetic"], "'--synthetic' needs '--arch <arch>'"),
        (["select", "--criterion", "nearest", "x.npz"], "The value 'nearest' is invalid for '--criterion <criterion>'"),
        (["flop", "--arch", "resnet20"], "Unknown subcommand 'flop'. Did you mean 'flops'?"),
    ])
    func usageErrors(arguments: [String], message: String) throws {
        let run = try FPGMProcess(arguments)
        #expect(run.status == 2)
        #expect(run.stdout.isEmpty)
        let lines = run.stderr.split(separator: "\n")
        #expect(lines.first?.hasPrefix("Error: ") == true)
        #expect(lines.first?.contains(message) == true, "\(run.stderr)")
        #expect(lines.dropFirst().first?.hasPrefix("Usage: fpgm") == true)
    }

    @Test("input errors name the file and exit 3", arguments: [
        ("missing.npz", "no such file"), ("cli/corrupt.safetensors", "header"), ("cli", "directory"),
    ])
    func inputErrors(file: String, message: String) throws {
        let path = FPGMProcess.fixtures.appendingPathComponent(file).path
        let run = try FPGMProcess(["select", path])
        #expect(run.status == 3)
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(run.stderr.hasPrefix("Error: \(path): ") && run.stderr.contains(message), "\(run.stderr)")
    }

    @Test("every hostile PyTorch file exits 3 with one sentence naming the file")
    func hostileFiles() throws {
        let folder = FPGMProcess.fixtures.appendingPathComponent("torch/hostile")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(files.count >= 12)
        for file in files {
            let path = folder.appendingPathComponent(file).path
            let run = try FPGMProcess(["inspect", path])
            #expect(run.status == 3, "\(file)")
            #expect(run.stdout.isEmpty)
            #expect(run.stderr.hasPrefix("Error: \(path): ") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        }
    }

    @Test("a layer with NaN values is an input error naming the layer")
    func notANumber() throws {
        let header = #"{"w.weight":{"dtype":"F32","shape":[2,1,1,1],"data_offsets":[0,8]}}"#
        var bytes = Data((0..<8).map { UInt8(truncatingIfNeeded: header.utf8.count >> (8 * $0)) })
        bytes.append(Data(header.utf8))
        for value in [Float.nan, 1] { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-nan-\(getpid()).safetensors").path
        _ = FileManager.default.createFile(atPath: path, contents: bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try FPGMProcess(["select", path])
        #expect(run.status == 3)
        #expect(run.stderr == "Error: \(path): layer 'w' holds NaN or infinite values\n")
    }

    @Test("a checkpoint that does not fit the architecture is an input error naming the missing tensors")
    func mismatch() throws {
        let path = FPGMProcess.fixtures.appendingPathComponent("selection/layers.npz").path
        let run = try FPGMProcess(["select", path, "--arch", "resnet20"])
        #expect(run.status == 3)
        #expect(run.stderr.contains("does not match resnet20: tensors 97 missing (bn1.bias, bn1.running_mean, bn1.running_var, bn1.weight and 93 more); 6 unexpected (conv_16x3, conv_16x16, conv_32x16, conv_64x32 and 2 more)"), "\(run.stderr)")
    }

    @Test("select --json on the fixture layers equals the numpy restatement of the official code", arguments: [0, 1])
    func selectMatchesOfficial(rateIndex: Int) throws {
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: FPGMProcess.fixtures.appendingPathComponent("selection/expected.json"))) as? [String: Any])
        let entry = (expected["rates"] as! [[String: Any]])[rateIndex]
        let rateNorm = entry["rate_norm"] as! Double, rateDist = entry["rate_dist"] as! Double
        let run = try FPGMProcess(["select", FPGMProcess.fixtures.appendingPathComponent("selection/layers.npz").path,
                                   "--rate-norm", String(rateNorm), "--rate-dist", String(rateDist), "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try #require(run.json?["layers"] as? [[String: Any]])
        let official = entry["layers"] as! [[String: Any]]
        #expect(layers.map { $0["name"] as! String } == official.map { $0["name"] as! String })
        for (mine, theirs) in zip(layers, official) {
            #expect(mine["pruned_norm"] as! [Int] == theirs["pruned_norm"] as! [Int])
            #expect(mine["pruned_dist"] as! [Int] == theirs["pruned_dist"] as! [Int])
            #expect(mine["pruned"] as! [Int] == ((theirs["pruned_norm"] as! [Int]) + (theirs["pruned_dist"] as! [Int])).sorted())
        }
        #expect(run.json?["format"] as? String == "npz")
    }

    @Test("select --synthetic is reproducible and prunes every conv layer at the official counts")
    func selectSynthetic() throws {
        let arguments = ["select", "--arch", "resnet56", "--synthetic", "--seed", "7", "--rate-norm", "0.7", "--rate-dist", "0.1", "--json"]
        let first = try FPGMProcess(arguments), second = try FPGMProcess(arguments)
        #expect(first.status == 0 && first.stdout == second.stdout)
        let layers = try #require(first.json?["layers"] as? [[String: Any]])
        #expect(layers.count == 55)
        let counts = layers.map { (($0["pruned_norm"] as! [Int]).count, ($0["pruned_dist"] as! [Int]).count, $0["filters"] as! Int) }
        let official = [16: (4, 1), 32: (9, 3), 64: (19, 6)]
        #expect(counts.allSatisfy { count in official[count.2].map { $0 == (count.0, count.1) } ?? false })
    }
}

/// `fpgm forward` and `fpgm prune` on the trained networks.
@Suite("fpgm forward and prune", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct InferenceCLITests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] ?? ""

    static func logits(_ run: FPGMProcess) -> [[Double]] { (run.json?["logits"] as? [[Double]]) ?? [] }

    static func largestDifference(_ a: [[Double]], _ b: [[Double]]) -> Double {
        zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
    }

    @Test("forward --json matches reference/forward-logits.json to 1e-3 for ResNet-20 and ResNet-56",
          arguments: [("resnet20-12fca82f.th", "resnet20"), ("resnet56-4bfd9763.th", "resnet56")])
    func reference(file: String, arch: String) throws {
        let run = try FPGMProcess(["forward", "\(Self.weights)/\(file)", "--arch", arch, "--input", "pattern:4", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let reference = URL(fileURLWithPath: Self.weights).deletingLastPathComponent().appendingPathComponent("reference/forward-logits.json")
        let expected = try #require((JSONSerialization.jsonObject(with: Data(contentsOf: reference)) as? [String: Any])?["logits"] as? [String: [[Double]]])
        let logits = Self.logits(run)
        #expect(logits.count == 4 && Self.largestDifference(logits, expected[file]!) <= 1e-3)
    }

    @Test("prune --compact writes a file that forward runs to the masked network's logits; the file names its kept filters")
    func compactRoundTrip() throws {
        let folder = try scratchFolder("fpgm-prune-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = "\(Self.weights)/resnet56-4bfd9763.th", compact = folder.appendingPathComponent("compact.safetensors").path
        let prune = try FPGMProcess(["prune", checkpoint, "--arch", "resnet56", "--rate-norm", "0.7", "--rate-dist", "0.1", "-o", compact,
                                     "--compact", "--json"])
        #expect(prune.status == 0, "\(prune.stderr)")
        // Exact convention for the official mix on ResNet-56 (FLOPsTests pins the counter itself).
        #expect(prune.json?["parameters"] as? Int == 422_556 && prune.json?["pruned_filters"] as? Int == 761)
        let inspect = try FPGMProcess(["inspect", compact, "--json"])
        let metadata = try #require(inspect.json?["metadata"] as? [String: String])
        let kept = try #require(JSONSerialization.jsonObject(with: Data(metadata["fpgm_kept"]!.utf8)) as? [String: [Int]])
        #expect(kept.count == 55 && kept["conv1"]?.count == 11 && kept["layer3.0.conv1"]?.count == 39)
        let tensors = try #require(inspect.json?["tensors"] as? [[String: Any]])
        #expect(tensors.first { $0["name"] as? String == "layer1.0.conv2.weight" }?["shape"] as? [Int] == [11, 11, 3, 3])

        let fromFile = try FPGMProcess(["forward", compact, "--arch", "resnet56", "--input", "pattern:8", "--json"])
        let masked = try FPGMProcess(["forward", checkpoint, "--arch", "resnet56", "--input", "pattern:8", "--prune", "0.7,0.1", "--json"])
        #expect(fromFile.status == 0 && masked.status == 0, "\(fromFile.stderr) \(masked.stderr)")
        let scale = Self.logits(masked).flatMap { $0 }.map(abs).max() ?? 0
        #expect(Self.largestDifference(Self.logits(fromFile), Self.logits(masked)) <= 1e-4 * scale)
    }

    @Test("a CIFAR-10 batch file: its labels give top-1 accuracy; a file of the wrong length is refused (exit 3)")
    func batchFile() throws {
        let folder = try scratchFolder("fpgm-batch-\(getpid())")
        defer { try? FileManager.default.removeItem(at: folder) }
        let checkpoint = "\(Self.weights)/resnet20-12fca82f.th"
        // Two records whose labels are the classes ResNet-20 predicts for pattern images 0 and 1 (class 2), and one it does not.
        let pattern = try FPGMProcess(["forward", checkpoint, "--arch", "resnet20", "--input", "pattern:3", "--json"])
        #expect(pattern.json?["predictions"] as? [Int] == [2, 2, 2])
        var bytes = [UInt8]()
        for (n, label) in [2, 2, 7].enumerated() {
            bytes.append(UInt8(label))
            for c in 0..<3 { for h in 0..<32 { for w in 0..<32 { bytes.append(UInt8((7 * h + 13 * w + 29 * c + 61 * n) % 256)) } } }
        }
        let batch = folder.appendingPathComponent("batch.bin")
        try Data(bytes).write(to: batch)
        let run = try FPGMProcess(["forward", checkpoint, "--arch", "resnet20", "--input", batch.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(abs((run.json?["top1"] as? Double ?? 0) - 2.0 / 3.0) < 1e-12)
        #expect(Self.largestDifference(Self.logits(run), Self.logits(pattern)) == 0)

        try Data(bytes.dropLast()).write(to: batch)
        let short = try FPGMProcess(["forward", checkpoint, "--arch", "resnet20", "--input", batch.path])
        #expect(short.status == 3)
        #expect(short.stderr == "Error: \(batch.path): is 9218 bytes, not a whole number of CIFAR-10 records of 3073 bytes (1 label byte + 3072 pixel bytes): record 2 is cut short after 3072 bytes\n")
    }

    @Test("bad input: another architecture's checkpoint (3), a plan that empties a layer in compact mode (1), a CIFAR batch file for an ImageNet network (2)")
    func errors() throws {
        let resnet56 = "\(Self.weights)/resnet56-4bfd9763.th"
        let other = try FPGMProcess(["forward", resnet56, "--arch", "resnet20", "--input", "pattern:1"])
        #expect(other.status == 3 && other.stderr.hasPrefix("Error: \(resnet56): does not match resnet20: tensors 180 unexpected"))
        let empty = try FPGMProcess(["forward", resnet56, "--arch", "resnet56", "--input", "pattern:1", "--prune", "1.0,1.0", "--mode", "compact"])
        #expect(empty.status == 1 && empty.stderr == "Error: the rates prune all 16 filters of conv1; a layer must keep at least one\n")
        let imageNet = try FPGMProcess(["forward", resnet56, "--arch", "resnet18", "--input", resnet56])
        #expect(imageNet.status == 2 && imageNet.stderr.hasPrefix("Error: CIFAR-10 holds 32 x 32 images; this network takes 224 x 224 (use pattern:N or smooth:N)"))
        let vgg = try FPGMProcess(["forward", resnet56, "--arch", "vgg16", "--input", "pattern:1"])
        #expect(vgg.status == 3 && vgg.stderr.hasPrefix("Error: \(resnet56): does not match vgg16"))
        let flops = try FPGMProcess(["flops", "--arch", "resnet56", "--rate", "1.0", "--convention", "exact"])
        #expect(flops.status == 1 && flops.stderr == "Error: the rates prune all 16 filters of conv1; a layer must keep at least one\n")
        let rates = try FPGMProcess(["forward", resnet56, "--arch", "resnet56", "--input", "pattern:1", "--prune", "0.7"])
        #expect(rates.status == 2 && rates.stderr.hasPrefix("Error: The value '0.7' is invalid for '--prune <R,D>'"))
    }
}

@Suite("fpgm evaluate", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil
                                   && ProcessInfo.processInfo.environment["FPGM_DATA_DIR"] != nil))
struct EvaluateCLITests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] ?? ""
    static let data = ProcessInfo.processInfo.environment["FPGM_DATA_DIR"] ?? ""

    static func correct(_ run: FPGMProcess) -> Int? { run.json?["correct"] as? Int }

    @Test("the shared test images: ResNet-20 1,138 and ResNet-56 1,153 correct (shared/cifar10/README.md), per class adding up",
          arguments: [("resnet20-12fca82f.th", "resnet20", 1138), ("resnet56-4bfd9763.th", "resnet56", 1153)])
    func unpruned(file: String, arch: String, expected: Int) throws {
        let run = try FPGMProcess(["evaluate", "\(Self.weights)/\(file)", "--arch", arch, "--data", "hub:cifar10/test", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.correct(run) == expected && run.json?["images"] as? Int == 1245 && run.json?["recalibrated"] as? Bool == false)
        let perClass = try #require(run.json?["per_class"] as? [[String: Any]])
        #expect(perClass.compactMap { $0["correct"] as? Int }.reduce(0, +) == expected)
        #expect(perClass.compactMap { $0["images"] as? Int } == [130, 114, 128, 130, 109, 112, 131, 120, 143, 128])
        #expect(run.json?["normalization"] as? String == "imagenet")
        let folder = try FPGMProcess(["evaluate", "\(Self.weights)/\(file)", "--arch", arch, "--data", "\(Self.data)/cifar-10-batches-bin", "--json"])
        #expect(Self.correct(folder) == expected)
    }

    @Test("the python batch and both archives that Tools/make_cifar_layouts.py writes give the same count; so does --mode compact")
    func layoutsAndCompact() throws {
        let work = try scratchFolder("fpgm-evaluate-layouts-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let script = Process()
        script.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        script.arguments = ["python3", FPGMProcess.packageRoot.appendingPathComponent("Tools/make_cifar_layouts.py").path, Self.data, work.path]
        try script.run()
        script.waitUntilExit()
        try #require(script.terminationStatus == 0)
        let resnet20 = "\(Self.weights)/resnet20-12fca82f.th"
        for data in ["cifar-10-batches-py/test_batch", "cifar-10-python.tar.gz", "cifar-10-binary.tar.gz:test"] {
            let run = try FPGMProcess(["evaluate", resnet20, "--arch", "resnet20", "--data", work.appendingPathComponent(data).path, "--json"])
            #expect(Self.correct(run) == 1138, "\(data): \(run.stderr)")
        }
        let masked = try FPGMProcess(["evaluate", resnet20, "--arch", "resnet20", "--prune", "1,0.4", "--json"])
        let compact = try FPGMProcess(["evaluate", resnet20, "--arch", "resnet20", "--prune", "1,0.4", "--mode", "compact", "--json"])
        #expect(Self.correct(masked) == 246 && Self.correct(compact) == 246 && compact.json?["pruned_filters"] as? Int == 264)
        #expect((compact.json?["parameters"] as? Int ?? 0) < (masked.json?["parameters"] as? Int ?? 0))
        let recalibrated = try FPGMProcess(["evaluate", resnet20, "--arch", "resnet20", "--prune", "1,0.4", "--recalibrate", "hub:cifar10/train",
                                            "--recalibrate-images", "256", "--json"])
        #expect(recalibrated.json?["recalibrated"] as? Bool == true && recalibrated.json?["recalibration_images"] as? Int == 256)
    }

    @Test("bad input: hostile data (3), a wrong spec or count (2), a plan that empties a layer (1)")
    func errors() throws {
        let resnet20 = "\(Self.weights)/resnet20-12fca82f.th"
        func run(_ extra: [String]) throws -> FPGMProcess { try FPGMProcess(["evaluate", resnet20, "--arch", "resnet20"] + extra) }
        let hostile = FPGMProcess.fixtures.appendingPathComponent("data/dotdot.tar").path
        let dotdot = try run(["--data", hostile])
        #expect(dotdot.status == 3 && dotdot.stderr == "Error: \(hostile): entry '../x/test_batch.bin' has a path that is absolute or leaves the archive's folder\n")
        let label = FPGMProcess.fixtures.appendingPathComponent("data/label-12.bin").path
        #expect(try run(["--data", label]).status == 3)
        let hub = try run(["--data", "hub:cifar10/valid"])
        #expect(hub.status == 2 && hub.stderr.hasPrefix("Error: 'hub:cifar10/valid' names no hub data set (known: hub:cifar10/test, hub:cifar10/train)"))
        let images = try run(["--images", "0"])
        #expect(images.status == 2 && images.stderr.hasPrefix("Error: The value '0' is invalid for '--images <N>'"))
        let empty = try run(["--prune", "0,0.5"])
        #expect(empty.status == 1 && empty.stderr == "Error: the rates prune all 16 filters of conv1; a layer must keep at least one\n")
        let missing = try run(["--data", "/nonexistent/test_batch.bin"])
        #expect(missing.status == 3 && missing.stderr == "Error: /nonexistent/test_batch.bin: does not exist\n")
    }
}

@Suite("CLI reference notebook")
struct CLIReferenceTests {
    @Test("notebooks/cli.md holds every help text, byte for byte",
          arguments: ["help.txt", "render-help.txt", "preview-help.txt", "flops-help.txt", "select-help.txt", "inspect-help.txt", "norms-help.txt",
                      "forward-help.txt", "prune-help.txt", "evaluate-help.txt", "train-help.txt", "directives-help.txt"])
    func helpInReference(file: String) throws {
        let reference = try String(contentsOf: FPGMProcess.packageRoot.appendingPathComponent("notebooks/cli.md"), encoding: .utf8)
        let help = try String(contentsOf: FPGMProcess.fixtures.appendingPathComponent("cli/\(file)"), encoding: .utf8)
        #expect(reference.contains("```text\n" + help + "```\n"))
    }
}

@Suite("Filter norms")
struct NormsTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]

    @Test("norms of the trained ResNet-56 agree with numpy to 1e-6 relative", .enabled(if: weights != nil))
    func trained() throws {
        let run = try FPGMProcess(["norms", "hub:akamaster/resnet56", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let layers = try #require(run.json?["layers"] as? [[String: Any]])
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: FPGMProcess.fixtures.appendingPathComponent("torch/norms-resnet56.json"))) as? [String: Any])
        let expected = try #require(fixture["layers"] as? [[String: Any]])
        #expect(layers.count == 55 && expected.count == 55)
        for (mine, theirs) in zip(layers, expected) {
            #expect(mine["name"] as? String == theirs["name"] as? String)
            for key in ["min", "max", "mean", "std"] {
                let a = mine[key] as? Double ?? .nan, b = theirs[key] as? Double ?? 0
                #expect(abs(a - b) <= 1e-6 * abs(b), "\(theirs["name"] ?? "") \(key)")
            }
        }
    }
}

@Suite("fpgm forward's table")
struct ForwardTableTests {
    @Test("ten classes show every logit; a thousand show the five largest, ties to the lower class")
    func columns() {
        let cifar = ForwardCommand.table([(0..<10).map { Float($0) / 10 }]).split(separator: "\n")
        #expect(cifar[0].hasPrefix("| Image | Class | Logit 0 |") && cifar[0].hasSuffix("| Logit 9 |"))
        #expect(cifar[2] == "|     0 |     9 |  0.0000 |  0.1000 |  0.2000 |  0.3000 |  0.4000 |  0.5000 |  0.6000 |  0.7000 |  0.8000 |  0.9000 |")
        var row = [Float](repeating: 0, count: 1000)
        row[7] = 3; row[500] = 2; row[999] = 2; row[3] = 1
        let imageNet = ForwardCommand.table([row]).split(separator: "\n")
        #expect(imageNet[0] == "| Image | Class |     Top 1 |       Top 2 |       Top 3 |     Top 4 |     Top 5 |")
        #expect(imageNet[2] == "|     0 |     7 | 7: 3.0000 | 500: 2.0000 | 999: 2.0000 | 3: 1.0000 | 0: 0.0000 |")
    }
}
