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
        (["preview", "--help"], "preview-help.txt"),
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
                      "forward-help.txt", "prune-help.txt", "evaluate-help.txt", "directives-help.txt"])
    func helpInReference(file: String) throws {
        let reference = try String(contentsOf: FPGMProcess.packageRoot.appendingPathComponent("notebooks/cli.md"), encoding: .utf8)
        let help = try String(contentsOf: FPGMProcess.fixtures.appendingPathComponent("cli/\(file)"), encoding: .utf8)
        #expect(reference.contains("```text\n" + help + "```\n"))
    }
}

@Suite("fpgm render")
struct RenderCLITests {
    static let notebook = """
    ---
    title: FLOPs
    params:
      rate: 0.4
    ---
    # FLOPs

    ResNet-56 at 40% loses {{tbl-flops.resnet56_0.4_reduction_percent}}% of its MACs (@tbl-flops).

    ```fpgm flops
    #| label: tbl-flops
    #| caption: FLOPs of two CIFAR ResNets
    archs: [resnet20, resnet56]
    rates: [0.3, ${rate}]
    ```

    Hostile prose: <script>alert(1)</script>, [a link](javascript:alert(1)).
    """

    @Test("a notebook renders to HTML, Markdown and JSON, the same bytes twice, with no script")
    func renders() throws {
        let work = try scratchFolder("fpgm-render-ok-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("flops.md").path
        try Data(Self.notebook.utf8).write(to: URL(fileURLWithPath: path))
        let out = work.appendingPathComponent("out").path
        let first = try FPGMProcess(["render", path, "-o", out])
        #expect(first.status == 0, "\(first.stderr)")
        let html = try String(contentsOfFile: out + "/flops.html", encoding: .utf8)
        let markdown = try String(contentsOfFile: out + "/flops.md", encoding: .utf8)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/flops.json"))) as? [String: Any])
        #expect(markdown.hasPrefix("# FLOPs\n\nResNet-56 at 40% loses 52.6% of its MACs ([Table 1](#tbl-flops)).\n"))
        #expect(markdown.contains("| resnet56 |                  40% |   125,485,056 |  59,436,564 |          52.6 |"))
        #expect(html.contains("<figcaption><span class=\"number\">Table 1:</span> FLOPs of two CIFAR ResNets</figcaption>"))
        #expect(!html.contains("<script") && !html.contains("javascript:") && !html.contains("http"))
        let cells = try #require(json["cells"] as? [[String: Any]])
        #expect(cells.first?["status"] as? String == "ok")
        // Typed exports (paper.md: ResNet-20 has 40,550,400 MACs in the paper convention; 42.2% at 30%).
        let values = try #require(cells.first?["values"] as? [String: Any])
        #expect(values["resnet20_0.3_reduction"] as? Double == 0.422 && values["resnet20_0.3_reduction_percent"] as? Double == 42.2)
        #expect(values["resnet20_baseline_macs"] as? Int == 40_550_400)
        // The table's cells as the report shows them.
        let rows = try #require((cells.first?["tables"] as? [[String: Any]])?.first?["rows"] as? [[String]])
        #expect(rows.contains { $0.first == "resnet56" && $0.contains("52.6") })
        let second = try FPGMProcess(["render", path, "-o", out, "--to", "html,md"])
        #expect(second.status == 0)
        #expect(try String(contentsOfFile: out + "/flops.html", encoding: .utf8) == html)
        #expect(try String(contentsOfFile: out + "/flops.md", encoding: .utf8) == markdown)
    }

    @Test("prose follows a parameter set with -p: {{params.rate}} and ${rate} inside a reference")
    func proseFollowsParameters() throws {
        let work = try scratchFolder("fpgm-render-params-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("rate.md").path
        let notebook = """
        ---
        params:
          rate: 0.4
        ---
        ResNet-20 at {{params.rate}} loses {{tbl-flops.resnet20_${rate}_reduction_percent}}% of its MACs.

        ```fpgm flops
        #| label: tbl-flops
        archs: [resnet20]
        rates: [${rate}]
        ```
        """
        try Data(notebook.utf8).write(to: URL(fileURLWithPath: path))
        let out = work.appendingPathComponent("out").path
        let run = try FPGMProcess(["render", path, "-o", out, "--to", "md", "-p", "rate=0.3", "--strict"])
        #expect(run.status == 0, "\(run.stderr)")
        // 42.2%: ResNet-20 at 30% in the paper convention, as in `renders` above and Table 1 of the paper.
        #expect(try String(contentsOfFile: out + "/rate.md", encoding: .utf8).hasPrefix("ResNet-20 at 0.3 loses 42.2% of its MACs.\n"))
    }

    @Test("--to ipynb: an nbformat 4.5 notebook, prose as Markdown cells, each directive cell a code cell with its HTML, Markdown and exported values; nbformat validates it")
    func jupyter() throws {
        let work = try scratchFolder("fpgm-render-ipynb-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("flops.md").path
        try Data(Self.notebook.utf8).write(to: URL(fileURLWithPath: path))
        let run = try FPGMProcess(["render", path, "-o", work.appendingPathComponent("out").path, "--to", "ipynb", "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = work.appendingPathComponent("out/flops.ipynb")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("out").path) == ["flops.ipynb"])
        let notebook = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as? [String: Any])
        #expect(notebook["nbformat"] as? Int == 4 && notebook["nbformat_minor"] as? Int == 5)
        let cells = try #require(notebook["cells"] as? [[String: Any]])
        #expect(cells.map { $0["cell_type"] as? String } == ["markdown", "code", "markdown"])
        #expect(cells.map { $0["id"] as? String } == ["prose-1", "tbl-flops", "prose-2"])
        #expect((cells[0]["source"] as? String)?.hasPrefix("# FLOPs\n\nResNet-56 at 40% loses 52.6% of its MACs ([Table 1](#tbl-flops)).") == true)
        #expect(cells[1]["source"] as? String == "# fpgm flops\n#| label: tbl-flops\n#| caption: FLOPs of two CIFAR ResNets\narchs: [resnet20, resnet56]\nrates: [0.3, ${rate}]")
        let output = try #require((cells[1]["outputs"] as? [[String: Any]])?.first)
        let data = try #require(output["data"] as? [String: Any])
        #expect(output["output_type"] as? String == "display_data")
        #expect((data["text/html"] as? String)?.contains("<figcaption><span class=\"number\">Table 1:</span> FLOPs of two CIFAR ResNets</figcaption>") == true)
        #expect((data["text/markdown"] as? String)?.contains("| resnet56 |                  40% |   125,485,056 |  59,436,564 |          52.6 |") == true)
        #expect((data["application/json"] as? [String: Any])?["resnet56_0.4_reduction"] as? Double == 0.526)
        // nbformat itself, where .ci/run has made it available.
        if let python = ProcessInfo.processInfo.environment["FPGM_NBFORMAT_PYTHON"] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = [FPGMProcess.packageRoot.appendingPathComponent("Tools/validate_ipynb.py").path, path, report.path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
    }

    @Test("the front matter's output chooses the formats, and cache: false writes no cache")
    func frontMatterSettings() throws {
        let work = try scratchFolder("fpgm-render-settings-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("settings.md").path
        try Data("---\noutput: [md]\ncache: false\n---\n```fpgm flops\narchs: [resnet20]\n```\n".utf8).write(to: URL(fileURLWithPath: path))
        let out = work.appendingPathComponent("out")
        let run = try FPGMProcess(["render", path, "-o", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["settings.md"])
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent(".fpgm-cache").path))
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let overwrite = try FPGMProcess(["render", path, "-o", work.path])
        #expect(overwrite.status == 3 && overwrite.stderr.contains("would overwrite the notebook itself"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
        let bad = work.appendingPathComponent("bad.md").path
        try Data("---\noutput: [pdf]\n---\n".utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try FPGMProcess(["render", bad, "-o", out.path])
        #expect(refused.status == 2 && refused.stderr == "\(bad):2:1: error: front matter: 'output' must be a list of formats (html, md, json, ipynb)\n")
    }

    @Test("a syntax error prints its diagnostic alone and exits 2; a failing cell exits 1 after writing the report")
    func failures() throws {
        let work = try scratchFolder("fpgm-render-bad-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let syntax = work.appendingPathComponent("syntax.md").path
        try Data("```fpgm flops\narchs: [resnet20]\nrate: 0.4\n```\n".utf8).write(to: URL(fileURLWithPath: syntax))
        let run = try FPGMProcess(["render", syntax, "-o", work.path + "/out"])
        #expect(run.status == 2)
        #expect(run.stderr == "\(syntax):3:1: error: [cell-1] flops: unknown argument 'rate'; did you mean 'rates'? (valid: archs, rates, convention, chart, compare)\n")
        let unknown = work.appendingPathComponent("unknown.md").path
        try Data("```fpgm flops\narchs: [resnet57]\n```\n".utf8).write(to: URL(fileURLWithPath: unknown))
        let checked = try FPGMProcess(["render", unknown, "-o", work.path + "/out"])
        #expect(checked.status == 2)
        #expect(checked.stderr.hasPrefix("\(unknown):2:1: error: [cell-1] flops: argument 'archs' has the unknown value 'resnet57'; did you mean 'resnet56'? (known: resnet20"))
        let failing = work.appendingPathComponent("failing.md").path
        try Data("```fpgm norms\nweights: missing.th\n```\n".utf8).write(to: URL(fileURLWithPath: failing))
        let failed = try FPGMProcess(["render", failing, "-o", work.path + "/out"])
        #expect(failed.status == 1)
        #expect(failed.stderr.hasPrefix("\(failing):1:1: error: [cell-1] norms: the input file 'missing.th' does not exist"))
        #expect(try String(contentsOfFile: work.path + "/out/failing.md", encoding: .utf8).contains("> **Error** in `cell-1`: the input file 'missing.th' does not exist"))
        let missing = try FPGMProcess(["render", work.appendingPathComponent("none.md").path])
        #expect(missing.status == 3)
    }
}

@Suite("Hostile notebooks")
struct HostileNotebookTests {
    func render(_ contents: Data, _ name: String) throws -> (FPGMProcess, String?) {
        let folder = try scratchFolder("fpgm-hostile-nb-\(getpid())-\(name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("\(name).md").path
        _ = FileManager.default.createFile(atPath: path, contents: contents)
        let run = try FPGMProcess(["render", path, "-o", folder.path, "--to", "html", "--no-cache"])
        return (run, try? String(contentsOfFile: folder.appendingPathComponent("\(name).html").path, encoding: .utf8))
    }

    @Test("script, javascript: links and </svg> in a caption are escaped or dropped, never executed")
    func markup() throws {
        let text = """
        <script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) [y](JAVASCRIPT:alert(4))

        ```fpgm flops
        #| label: tbl-x
        #| caption: "</svg><script>alert(5)</script>"
        archs: [resnet20]
        ```
        """
        let (run, html) = try render(Data(text.utf8), "markup")
        #expect(run.status == 0, "\(run.stderr)")
        let page = try #require(html)
        #expect(!page.contains("<script") && !page.contains("onerror") && !page.lowercased().contains("javascript:"))
        #expect(page.contains("&lt;/svg&gt;&lt;script&gt;alert(5)&lt;/script&gt;"))
    }

    @Test("a 10 MB line and 100,000 levels of nesting render without a crash")
    func large() throws {
        let (long, longHTML) = try render(Data((String(repeating: "a", count: 10_000_000) + "\n").utf8), "long")
        #expect(long.status == 0 && (longHTML?.count ?? 0) > 10_000_000)
        let (quotes, _) = try render(Data((String(repeating: "> ", count: 100_000) + "x\n").utf8), "quotes")
        #expect(quotes.status == 0)
        let (lists, _) = try render(Data((0..<5_000).map { String(repeating: "  ", count: $0) + "- item" }.joined(separator: "\n").utf8), "lists")
        #expect(lists.status == 0)
    }

    @Test("invalid UTF-8 is refused with one sentence, exit 3")
    func encoding() throws {
        let (run, html) = try render(Data([0x23, 0x20, 0xFF, 0xFE, 0x0A]), "binary")
        #expect(run.status == 3)
        #expect(run.stderr.hasSuffix("binary.md: is not valid UTF-8 text\n") && html == nil)
    }
}

@Suite("Golden reports")
struct GoldenReportTests {
    /// The JSON report with every cell's timing set to 0, the one part that differs between runs.
    static func withoutTimings(_ json: String) -> String {
        json.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.trimmingCharacters(in: .whitespaces).hasPrefix("\"seconds\": ")
                ? String(line.prefix { $0 == " " }) + "\"seconds\": 0," : String(line)
        }.joined(separator: "\n")
    }

    @Test("the feature notebook renders to the golden HTML, Markdown and JSON; the cached second render gives the same reports")
    func golden() throws {
        let fixtures = FPGMProcess.fixtures.appendingPathComponent("notebooks")
        let work = try scratchFolder("fpgm-golden-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let notebook = work.appendingPathComponent("features.md")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("features.md"), to: notebook)
        for round in 1...2 {
            let run = try FPGMProcess(["render", "features.md", "-o", "out", "-p", "rate=0.4"], in: work)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stderr == "features.md:52:1: warning: [cell-4] norms: the input file 'missing.th' does not exist (paths are relative to the notebook)\n")
            for file in round == 1 ? ["features.html", "features.md", "features.json"] : ["features.html", "features.md"] {
                var text = try String(contentsOf: work.appendingPathComponent("out/\(file)"), encoding: .utf8)
                if file.hasSuffix(".json") { text = Self.withoutTimings(text) }
                let golden = fixtures.appendingPathComponent("golden-\(file)")
                if ProcessInfo.processInfo.environment["FPGM_RECORD"] == "1" && round == 1 { try Data(text.utf8).write(to: golden) }
                #expect(text == (try String(contentsOf: golden, encoding: .utf8)), "\(file), round \(round)")
            }
        }
        let html = try String(contentsOf: work.appendingPathComponent("out/features.html"), encoding: .utf8)
        #expect(!html.contains("<script") && !html.contains("http"))
        #expect(try String(contentsOf: work.appendingPathComponent("out/features_files/fig-reduction.svg"), encoding: .utf8)
                .hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        let json = try String(contentsOf: work.appendingPathComponent("out/features.json"), encoding: .utf8)
        #expect(json.components(separatedBy: "\"status\": \"cached\"").count == 4)
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("out/features_files/fig-reduction.svg").path))
    }
}

@Suite("Cell cache and builds")
struct BuildIdentityTests {
    @Test("a cell cached by one build is run again by another (its executable differs by one byte), then cached for it")
    func newBuildReruns() throws {
        let work = try oneCellNotebookFolder("fpgm-build-identity-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let other = work.appendingPathComponent("fpgm-other")
        var bytes = try Data(contentsOf: FPGMProcess.binary)
        bytes.append(0)
        try bytes.write(to: other)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: other.path)
        func status(_ binary: URL) throws -> String {
            let run = try FPGMProcess(["render", "n.md", "-o", "out", "--to", "json"], in: work, binary: binary)
            #expect(run.status == 0, "\(run.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/n.json"))) as? [String: Any])
            return try #require(((json["cells"] as? [[String: Any]])?.first)?["status"] as? String)
        }
        #expect(try status(FPGMProcess.binary) == "ok")
        #expect(try status(FPGMProcess.binary) == "cached")
        #expect(try status(other) == "ok")
        #expect(try status(other) == "cached")
    }
}

@Suite("Strict rendering")
struct StrictTests {
    @Test("--strict turns warnings into exit 2 after writing the reports; without it they are only printed")
    func strict() throws {
        let work = try oneCellNotebookFolder("fpgm-strict-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let warning = "-p:1:1: warning: parameter 'nosuch' is not declared in the front matter of n.md (it declares none), and no cell uses it\n"
        let lenient = try FPGMProcess(["render", "n.md", "-o", "out", "-p", "nosuch=1", "--no-cache"], in: work)
        #expect(lenient.status == 0 && lenient.stderr == warning)
        try FileManager.default.removeItem(at: work.appendingPathComponent("out"))
        let strict = try FPGMProcess(["render", "n.md", "-o", "out", "-p", "nosuch=1", "--no-cache", "--strict"], in: work)
        #expect(strict.status == 2)
        #expect(strict.stderr == warning + "1 warning, which --strict makes errors\n")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("out/n.html").path))
        #expect(try FPGMProcess(["render", "n.md", "-o", "out", "--no-cache", "--strict"], in: work).status == 0)
    }
}

@Suite("Render summary")
struct RenderSummaryTests {
    @Test("each report gets one line on standard output, naming the files, cells, cached cells and time; --quiet prints none")
    func summary() throws {
        let work = try oneCellNotebookFolder("fpgm-summary-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        func line(_ extra: [String]) throws -> String {
            let run = try FPGMProcess(["render", "n.md", "-o", "out"] + extra, in: work)
            #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
            return run.stdout.replacingOccurrences(of: #"[0-9]+\.[0-9]{2} s"#, with: "T s", options: .regularExpression)
        }
        #expect(try line([]) == "wrote out/n.html, out/n.md, out/n.json: 1 cell, 0 cached, T s\n")
        #expect(try line(["--to", "html"]) == "wrote out/n.html: 1 cell, 1 cached, T s\n")
        #expect(try line(["--quiet"]) == "")
    }
}

/// The HTML report in a real browser: Debian's headless Chromium (which `make test` installs when it
/// can; the test is skipped, saying so, where it is missing).
@Suite("HTML in a browser")
struct BrowserTests {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("the feature notebook's HTML loads in headless Chromium with its MathML and tables, and no console error",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"))
    func chromiumLoads() throws {
        let work = try scratchFolder("fpgm-browser-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        try FileManager.default.copyItem(at: FPGMProcess.fixtures.appendingPathComponent("notebooks/features.md"), to: work.appendingPathComponent("features.md"))
        let render = try FPGMProcess(["render", "features.md", "-o", "out", "--to", "html", "--no-cache"], in: work)
        #expect(render.status == 0)
        let (dom, log) = try Self.dumpDOM(work.appendingPathComponent("out/features.html"), profile: work.appendingPathComponent("profile"))
        #expect(dom.components(separatedBy: "<math").count == 4)
        #expect(dom.contains("<mover><mrow><mo>=</mo></mrow><mrow><mtext>def</mtext></mrow></mover>"))
        #expect(dom.components(separatedBy: "<table>").count == 4)
        #expect(dom.contains("<svg id=\"flops-resnet20-resnet32-resnet56-resnet110\""))
        #expect(dom.contains("<figcaption><span class=\"number\">Figure 1:</span> FLOPs reduction by network and rate</figcaption>"))
        #expect(dom.contains("<nav class=\"contents\">"))
        #expect(!log.contains("CONSOLE"), "\(log)")
    }

    @Test("the paper report as a reader sees it: no raw TeX or directive syntax, every figure captioned, every chart's axes labelled",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"),
          .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil, "FPGM_WEIGHTS_DIR is not set"))
    func paperReport() throws {
        let work = try scratchFolder("fpgm-browser-paper-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let notebook = FPGMProcess.packageRoot.appendingPathComponent("notebooks/fpgm-paper.md").path
        let render = try FPGMProcess(["render", notebook, "-o", work.appendingPathComponent("out").path, "--to", "html", "--no-cache", "--quiet"], in: work)
        #expect(render.status == 0, "\(render.stderr)")
        let page = work.appendingPathComponent("out/fpgm-paper.html")
        let screenshot = work.appendingPathComponent("page.png")
        let (dom, log) = try Self.dumpDOM(page, profile: work.appendingPathComponent("profile"), screenshot: screenshot)
        #expect(!log.contains("CONSOLE"), "\(log)")
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 50_000, "a \(png.count)-byte screenshot")

        // What a reader sees: the page without its folded cell sources, style sheet and tags.
        let shown = dom.replacing(/<details>.*?<\/details>/.dotMatchesNewlines(), with: "")
            .replacing(/<style>.*?<\/style>/.dotMatchesNewlines(), with: "")
        let text = shown.replacing(/<[^>]+>/, with: "")
        for raw in ["$", "```", "#|", "{{", "}}", "@tbl-", "@fig-", "\\frac", "\\sum", "\\mathbf", "\\|"] {
            #expect(!text.contains(raw), "the report shows raw \(raw)")
        }
        let figures = shown.matches(of: /<figure.*?<\/figure>/.dotMatchesNewlines()).map { String($0.output) }
        let charts = figures.filter { $0.contains("<svg") }
        #expect(figures.count >= 15 && charts.count >= 7)
        for figure in figures {
            #expect(figure.contains("<figcaption>"), "\(figure.prefix(80))")
        }
        for chart in charts {
            let labels = chart.matches(of: /class="axis-label">([^<]+)</).map { String($0.output.1) }
            #expect(labels.count == 2, "\(chart.prefix(80)): axis labels \(labels)")
        }
    }

    @Test("a site in a browser: every page shows the navigation, loads without a console message, and its internal links resolve",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"))
    func site() throws {
        let root = try SiteTests.project("fpgm-browser-site-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("site")
        #expect(try FPGMProcess(["render", root.path, "-o", out.path, "--to", "html", "--quiet"]).status == 0)
        var unresolved = [String]()
        for page in ["index.html", "intro.html", "sub/intro.html", "sub/lecture.html"] {
            let url = out.appendingPathComponent(page)
            let (dom, log) = try Self.dumpDOM(url, profile: root.appendingPathComponent("profile"))
            #expect(dom.contains("<nav class=\"site\">") && !log.contains("CONSOLE"), "\(page): \(log)")
            for match in dom.matches(of: /(?:href|src)="([^"#:]*)(#[^"]*)?"/) where !match.output.1.isEmpty {
                let target = url.deletingLastPathComponent().appendingPathComponent(String(match.output.1)).standardizedFileURL
                guard target.path.hasPrefix(out.path + "/"), FileManager.default.fileExists(atPath: target.path) else {
                    unresolved.append(String(match.output.1)); continue
                }
                if let fragment = match.output.2 {
                    let html = try String(contentsOf: target, encoding: .utf8)
                    #expect(html.contains("id=\"\(fragment.dropFirst())\""), "\(page): \(match.output.0)")
                }
            }
        }
        #expect(unresolved == ["../../etc/passwd", "../outside.png"])  // the links out of the project, left as written and not copied
    }

    /// The page's DOM after Chromium has loaded it, and Chromium's log; with `screenshot`, also a picture of it.
    @Test("a page of fpgm preview in a browser shows an edit of its notebook without a manual reload",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"))
    func previewReloads() throws {
        let root = try scratchFolder("fpgm-browser-preview-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let notebook = root.appendingPathComponent("a.md")
        try Data("# Hello\n\nFirst version.\n".utf8).write(to: notebook)
        let process = Process(), output = Pipe()
        process.executableURL = FPGMProcess.binary
        process.arguments = ["preview", notebook.path, "--port", "0", "-o", root.appendingPathComponent("site").path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { process.terminate(); process.waitUntilExit() }
        let first = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(first.firstMatch(of: /127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) })
        // The edit is saved while Chromium holds the page, which asks for the version every 200 ms of its
        // own time (it runs its timers faster than the clock: 500 s of page time took about 7 s here).
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 1)
            try? Data("# Hello\n\nSecond version.\n".utf8).write(to: notebook)
        }
        let (dom, log) = try Self.dumpDOM(try #require(URL(string: "http://127.0.0.1:\(port)/")), profile: root.appendingPathComponent("profile"),
                                          virtualTime: 500_000)
        #expect(dom.contains("Second version.") && !dom.contains("First version."))
        #expect(!log.contains("CONSOLE"), "\(log)")
    }

    /// `virtualTime`: milliseconds of the page's own time (its timers) to let pass before the dump.
    static func dumpDOM(_ page: URL, profile: URL, screenshot: URL? = nil, virtualTime: Int? = nil) throws -> (dom: String, log: String) {
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                         "--user-data-dir=\(profile.path)", "--dump-dom"]
        if let virtualTime { arguments.append("--virtual-time-budget=\(virtualTime)") }
        if let screenshot { arguments += ["--screenshot=\(screenshot.path)", "--window-size=1280,8000"] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(chromium))
        process.arguments = arguments + [page.absoluteString]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return (dom, log)
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

    @Test("the norms directive: a table per layer, a density chart, and a callout for synthetic weights")
    func directive() throws {
        let work = try scratchFolder("fpgm-norms-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = """
        ```fpgm norms
        #| label: fig-norms
        weights: synthetic
        arch: resnet20
        seed: 3
        layers: [conv1, layer3.2.conv2]
        chart: log
        ```

        ```fpgm norms
        weights: synthetic
        arch: resnet20
        layers: [layer1.0.conv3]
        ```
        """
        try Data(text.utf8).write(to: work.appendingPathComponent("n.md"))
        let run = try FPGMProcess(["render", "n.md", "-o", "out", "--keep-going"], in: work)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("n.md:10:1: error: [cell-2] norms: no conv layer 'layer1.0.conv3' (layers: conv1, layer1.0.conv1"))
        try Data("```fpgm norms\nweights: synthetic\narch: resnet20\nlayers: [conv9]\n```\n".utf8).write(to: work.appendingPathComponent("u.md"))
        let unknown = try FPGMProcess(["render", "u.md", "-o", "out"], in: work)
        #expect(unknown.status == 2 && unknown.stderr.hasPrefix("u.md:4:1: error: [cell-1] norms: argument 'layers' has the unknown value 'conv9'; did you mean 'conv1'?"))
        let markdown = try String(contentsOf: work.appendingPathComponent("out/n.md"), encoding: .utf8)
        #expect(markdown.contains("> **Note:** Synthetic weights: resnet20 drawn with the official initialisation (synthetic (seed 3)), not a trained network."))
        #expect(markdown.contains("![Figure 1](n_files/fig-norms.svg)"))
        #expect(markdown.contains("| layer3.2.conv2 |      64 |"))
        let svg = try String(contentsOf: work.appendingPathComponent("out/n_files/fig-norms.svg"), encoding: .utf8)
        #expect(svg.contains("L2 norms of conv1") && svg.contains("<polyline"))
    }
}

@Suite("Render errors")
struct RenderErrorTests {
    static let cell = "```fpgm flops\narchs: [resnet20]\n```\n"

    @Test("each notebook error gives its exact message and exit code", arguments: [
        ("```fpgm flops\narchs: [resnet20]\n", 2, "e.md:1:1: error: the fpgm cell opened here is never closed (a fence of ``` is missing)"),
        ("```fpgm flosp\narchs: [resnet20]\n```\n", 2, "e.md:1:1: error: [cell-1] flosp: unknown directive 'flosp'; did you mean 'flops'? (known: accuracy, agreement, equivalence, flops, freeze, model, norms, select, speedup, toy)"),
        ("```fpgm flops\narch: [resnet20]\n```\n", 2, "e.md:2:1: error: [cell-1] flops: unknown argument 'arch'; did you mean 'archs'? (valid: archs, rates, convention, chart, compare)"),
        ("```fpgm flops\narchs: [resnet20]\nrates: high\n```\n", 2, "e.md:3:1: error: [cell-1] flops: argument 'rates' must be a list of numbers from 0 to 1"),
        ("```fpgm flops\narchs: [resnet20]\nrates: [0.4, 1.5]\n```\n", 2, "e.md:3:1: error: [cell-1] flops: argument 'rates' must lie in [0, 1], got 1.5"),
        ("```fpgm select\nweights: synthetic\narch: resnet20\nrate_dist: -0.1\n```\n", 2, "e.md:4:1: error: [cell-1] select: argument 'rate_dist' must lie in [0, 1], got -0.1"),
        ("```fpgm select\nweights: synthetic\narch: resnet20\nseed: -3\n```\n", 2, "e.md:4:1: error: [cell-1] select: argument 'seed' must be a non-negative integer"),
        ("```fpgm accuracy\nweights: synthetic\narch: resnet20\ncriteria: [fpgm, l3]\n```\n", 2, "e.md:4:1: error: [cell-1] accuracy: argument 'criteria' has the unknown value 'l3'; did you mean 'l2'? (known: fpgm, mix, l2, l1, random)"),
        ("```fpgm flops\narchs: [${net}]\n```\n", 2, "e.md:2:9: error: [cell-1] flops: undefined parameter 'net' (no parameters are defined)"),
        ("```fpgm flops\n#| label: a\narchs: [resnet20]\n```\n\n```fpgm flops\n#| label: a\narchs: [resnet20]\n```\n", 2, "e.md:6:1: error: [a] the label 'a' is already used by the cell on line 1"),
        ("See @fig-missing.\n\n" + cell, 2, "e.md:1:5: error: '@fig-missing' refers to no table or figure of this notebook"),
        ("{{cell-1.typo}}\n\n" + cell, 1, "e.md:1:1: error: '{{cell-1.typo}}' names no value a cell exported (cell-1 exports: resnet20_0.4_pruned_macs, resnet20_0.4_reduction, resnet20_0.4_reduction_percent, resnet20_baseline_macs)"),
        ("```fpgm norms\nweights: data/none.th\n```\n", 1, "e.md:1:1: error: [cell-1] norms: the input file 'data/none.th' does not exist (paths are relative to the notebook)"),
    ] as [(String, Int32, String)])
    func errors(text: String, status: Int32, message: String) throws {
        let work = try scratchFolder("fpgm-errors-\(getpid())-\(abs(text.hashValue))")
        defer { try? FileManager.default.removeItem(at: work) }
        try Data(text.utf8).write(to: work.appendingPathComponent("e.md"))
        let run = try FPGMProcess(["render", "e.md", "-o", "out"], in: work)
        #expect(run.status == status)
        #expect(run.stderr.split(separator: "\n").first.map(String.init) == message)
    }

    @Test("parameters: the front matter, overridden by --params, overridden by -p")
    func parameters() throws {
        let work = try scratchFolder("fpgm-params-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "---\nparams:\n  arch: resnet20\n  rate: 0.1\n  chart: false\n---\n```fpgm flops\narchs: [${arch}]\nrates: [${rate}]\nchart: ${chart}\n```\n"
        try Data(text.utf8).write(to: work.appendingPathComponent("p.md"))
        try Data("arch: resnet56\nrate: 0.3\n".utf8).write(to: work.appendingPathComponent("params.yml"))
        let run = try FPGMProcess(["render", "p.md", "-o", "out", "--to", "json", "--params", "params.yml", "-p", "rate=0.4"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try String(contentsOf: work.appendingPathComponent("out/p.json"), encoding: .utf8)
        #expect(json.contains("\"archs\": [\"resnet56\"]") && json.contains("\"rates\": [0.4]") && json.contains("\"chart\": false"))
        let missing = try FPGMProcess(["render", "p.md", "-o", "out", "--params", "none.yml"], in: work)
        #expect(missing.status == 3 && missing.stderr == "Error: none.yml: no such file, or it cannot be read as text\n")
        let bad = try FPGMProcess(["render", "p.md", "-o", "out", "-p", "rate"], in: work)
        #expect(bad.status == 2 && bad.stderr == "-p:1:1: error: 'rate' is not of the form name=value\n")
    }

    @Test("a failing cell in the middle: the report is written with the error in place, later cells do not run")
    func middle() throws {
        let work = try scratchFolder("fpgm-middle-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = Self.cell + "\n```fpgm norms\nweights: missing.th\n```\n\n" + Self.cell
        try Data(text.utf8).write(to: work.appendingPathComponent("m.md"))
        let stop = try FPGMProcess(["render", "m.md", "-o", "out", "--no-cache"], in: work)
        #expect(stop.status == 1)
        let json = try String(contentsOf: work.appendingPathComponent("out/m.json"), encoding: .utf8)
        #expect(json.components(separatedBy: "\"status\": ").dropFirst().map { String($0.prefix(9)) } == ["\"ok\",\n   ", "\"error\",\n", "\"skipped\""])
        #expect(try String(contentsOf: work.appendingPathComponent("out/m.md"), encoding: .utf8).contains("> **Error** in `cell-2`"))
        let keepGoing = try FPGMProcess(["render", "m.md", "-o", "out", "--no-cache", "--keep-going"], in: work)
        #expect(keepGoing.status == 1)
        let all = try String(contentsOf: work.appendingPathComponent("out/m.json"), encoding: .utf8)
        #expect(all.components(separatedBy: "\"status\": \"ok\"").count == 3)
    }
}

@Suite("The select directive")
struct SelectDirectiveTests {
    static let weights = ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"]

    @Test("on the trained ResNet-56 it prunes what the numpy restatement of the official code prunes", .enabled(if: weights != nil))
    func official() throws {
        let work = try scratchFolder("fpgm-seldir-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "```fpgm select\n#| label: tbl-s\nweights: hub:akamaster/resnet56\nrate_norm: 0.7\nrate_dist: 0.1\ncriteria: [fpgm, l2]\nlayers: [conv1, layer2.4.conv1, layer3.8.conv2]\n```\n"
        try Data(text.utf8).write(to: work.appendingPathComponent("s.md"))
        let run = try FPGMProcess(["render", "s.md", "-o", "out", "--to", "md,json"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let markdown = try String(contentsOf: work.appendingPathComponent("out/s.md"), encoding: .utf8)
        let fixture = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: FPGMProcess.fixtures.appendingPathComponent("torch/select-resnet56.json"))) as? [String: Any])
        let mix = try #require((fixture["runs"] as? [[String: Any]])?.first { $0["rate_norm"] as? Double == 0.7 })
        for layer in ["conv1", "layer2.4.conv1", "layer3.8.conv2"] {
            let official = try #require((mix["layers"] as? [[String: Any]])?.first { $0["name"] as? String == layer })
            let pruned = Set((official["pruned_norm"] as! [Int]) + (official["pruned_dist"] as! [Int]))
            let row = try #require(markdown.split(separator: "\n").first { $0.hasPrefix("| \(layer) ") })
            // The last column lists the indices with runs as ranges ("0-3 7").
            let listed = row.split(separator: "|").last!.split(separator: " ").flatMap { part -> [Int] in
                let ends = part.split(separator: "-").compactMap { Int($0) }
                return ends.count == 2 ? Array(ends[0]...ends[1]) : ends
            }
            #expect(Set(listed) == pruned && listed.count == pruned.count, "\(layer): \(row)")
        }
        let json = try String(contentsOf: work.appendingPathComponent("out/s.json"), encoding: .utf8)
        #expect(json.contains("\"fpgm_pruned\"") && json.contains("\"overlap_fpgm_l2\""))
    }

    @Test("an unknown criterion is found when the notebook is checked; a non-Euclidean distance gets the official code's caveat")
    func caveats() throws {
        let work = try scratchFolder("fpgm-seldir2-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "```fpgm select\nweights: synthetic\narch: resnet20\ndistance: cosine\nlayers: [conv1]\n```\n"
        try Data(text.utf8).write(to: work.appendingPathComponent("c.md"))
        let run = try FPGMProcess(["render", "c.md", "-o", "out", "--to", "md"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        try Data("```fpgm select\nweights: synthetic\narch: resnet20\ncriteria: [fpgm, norm]\n```\n".utf8).write(to: work.appendingPathComponent("u.md"))
        let unknown = try FPGMProcess(["render", "u.md", "-o", "out", "--to", "md"], in: work)
        #expect(unknown.status == 2)
        #expect(unknown.stderr == "u.md:4:1: error: [cell-1] select: argument 'criteria' has the unknown value 'norm' (known: fpgm, l2, l1, random, gm-exact)\n")
        let markdown = try String(contentsOf: work.appendingPathComponent("out/c.md"), encoding: .utf8)
        #expect(markdown.contains("its cosine ablation used Euclidean distances; this one uses cosine."))
        #expect(markdown.contains("> **Note:** Synthetic weights: resnet20"))
    }
}

@Suite("The equivalence directive")
struct EquivalenceDirectiveTests {
    @Test("g(x) = g'(x) on all 55 conv layers of the trained ResNet-56: max relative difference at most 1e-9, identical argmins",
          .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
    func resnet56() throws {
        let work = try scratchFolder("fpgm-eq-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        try Data("```fpgm equivalence\n#| label: tbl-eq\nweights: hub:akamaster/resnet56\n```\n".utf8).write(to: work.appendingPathComponent("e.md"))
        let run = try FPGMProcess(["render", "e.md", "-o", "out", "--to", "json,md"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/e.json"))) as? [String: Any])
        let values = try #require(((json["cells"] as? [[String: Any]])?.first?["values"]).map(FPGMProcess.texts))
        #expect(values["layers"] == "55")
        #expect(values["identical_argmins"] == "55")
        #expect((values["max_relative_difference"].flatMap(Double.init) ?? 1) <= 1e-9)
        let markdown = try String(contentsOf: work.appendingPathComponent("out/e.md"), encoding: .utf8)
        #expect(markdown.contains("| layer3.8.conv2 |      64 |"))
    }
}

@Suite("The freeze directive")
struct FreezeDirectiveTests {
    @Test("after zeroing the chosen filters and perturbing the rest, every layer chooses the same filters again", arguments: [
        ("1.0", "0.4"), ("0.7", "0.1"), ("0.9", "0.3"),
    ])
    func freeze(rateNorm: String, rateDist: String) throws {
        let work = try scratchFolder("fpgm-freeze-\(getpid())-\(rateNorm)")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "```fpgm freeze\n#| label: tbl-f\nweights: synthetic\narch: resnet20\nseed: 5\nrate_norm: \(rateNorm)\nrate_dist: \(rateDist)\nnoise: 0.2\n```\n"
        try Data(text.utf8).write(to: work.appendingPathComponent("f.md"))
        let run = try FPGMProcess(["render", "f.md", "-o", "out", "--to", "json"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/f.json"))) as? [String: Any])
        let values = try #require(((json["cells"] as? [[String: Any]])?.first?["values"]).map(FPGMProcess.texts))
        #expect(values["layers"] == "19" && values["unchanged_layers"] == "19" && values["rounds"] == "3")
    }
}

@Suite("The paper's FLOPs columns")
struct PrintedFLOPsTests {
    @Test("flops with compare: paper reproduces every printed reduction of Tables 1, 2 and 4 and marks exactly the two misprints")
    func compare() throws {
        let work = try scratchFolder("fpgm-compare-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = """
        ```fpgm flops
        #| label: tbl-t1
        archs: [resnet20, resnet32, resnet56, resnet110]
        rates: [0.3, 0.4]
        compare: paper
        ```

        ```fpgm flops
        #| label: tbl-t2
        archs: [resnet18, resnet34, resnet50, resnet101]
        rates: [0.3, 0.4]
        compare: paper
        ```

        ```fpgm flops
        #| label: tbl-t4
        archs: [vgg16]
        rates: [0.2]
        compare: paper
        ```
        """
        try Data(text.utf8).write(to: work.appendingPathComponent("c.md"))
        let run = try FPGMProcess(["render", "c.md", "-o", "out", "--to", "md,json"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/c.json"))) as? [String: Any])
        let values = try #require((json["cells"] as? [[String: Any]])?.map { FPGMProcess.texts($0["values"]) })
        #expect(values.map { $0["printed"] } == ["7", "5", "1"])
        #expect(values.map { $0["matching"] } == ["6", "4", "1"])
        #expect(values.map { $0["misprints"] } == ["1", "1", "0"])
        let markdown = try String(contentsOf: work.appendingPathComponent("out/c.md"), encoding: .utf8)
        #expect(markdown.components(separatedBy: "| misprint |").count == 3)
        #expect(markdown.contains("| resnet20  |                  30% |    40,550,400 |  23,430,758 |          42.2 | Table 1       |       2.43E7 |        42.2 | misprint |"))
        #expect(markdown.contains("| resnet101 |                  30% | 7,568,146,432 | 4,230,278,349 |          44.1 | Table 2    |              |        42.2 | misprint |"))
    }
}

@Suite("The model directive")
struct ModelDirectiveTests {
    @Test("trained weights are summarised with their SHA-256 and credit; missing weights fall back to synthetic ones, visibly",
          .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
    func model() throws {
        let work = try scratchFolder("fpgm-model-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let text = "```fpgm model\n#| label: tbl-m\nweights: hub:akamaster/resnet56\n```\n\n```fpgm model\n#| label: tbl-f\nweights: none.th\narch: resnet20\nfallback: synthetic\n```\n\n```fpgm model\nweights: none.th\narch: resnet20\n```\n"
        try Data(text.utf8).write(to: work.appendingPathComponent("m.md"))
        let run = try FPGMProcess(["render", "m.md", "-o", "out", "--to", "md,json", "--keep-going"], in: work)
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("m.md:13:1: error: [cell-3] model: the input file 'none.th' does not exist"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/m.json"))) as? [String: Any])
        let values = try #require((json["cells"] as? [[String: Any]])?.map { $0["values"] as? [String: Any] ?? [:] })
        #expect(values[0]["sha256"] as? String == "4bfd97631478d6b638d2764fd2baff3edb1d7d82252d54439343b6596b9b5367")
        #expect(values[0]["parameters"] as? Int == 853_018 && values[0]["macs"] as? Int == 125_485_696 && values[0]["synthetic"] as? Bool == false)
        #expect(values[1]["synthetic"] as? Bool == true && values[1]["arch"] as? String == "resnet20")
        let markdown = try String(contentsOf: work.appendingPathComponent("out/m.md"), encoding: .utf8)
        #expect(markdown.contains("Trained weights by Yerlan Idelbayev (akamaster/pytorch_resnet_cifar10, BSD 2-Clause licence)."))
        #expect(markdown.contains("> **Note:** The weights 'none.th' could not be loaded"))
    }
}

@Suite("The toy directive")
struct ToyDirectiveTests {
    @Test("in the plane the norm prunes the distinct small filters and FPGM the redundant ones, near the geometric median")
    func toy() throws {
        let work = try scratchFolder("fpgm-toy-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        try Data("```fpgm toy\n#| label: fig-toy\n```\n".utf8).write(to: work.appendingPathComponent("t.md"))
        let run = try FPGMProcess(["render", "t.md", "-o", "out", "--to", "md,json"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/t.json"))) as? [String: Any])
        let values = try #require(((json["cells"] as? [[String: Any]])?.first?["values"]).map(FPGMProcess.texts))
        #expect(values["pruned"] == "3" && values["overlap"] == "0")
        let x = try #require(values["median_x"].flatMap(Double.init)), y = try #require(values["median_y"].flatMap(Double.init))
        #expect(abs(x - 3) < 0.5 && abs(y - 2) < 0.5)
        let markdown = try String(contentsOf: work.appendingPathComponent("out/t.md"), encoding: .utf8)
        // Points 9 to 12 are the distinct ones, on a circle of radius 1.2: the norm prunes three of them.
        #expect(markdown.components(separatedBy: "| 1.20 | pruned  |").count == 4)
        let svg = try String(contentsOf: work.appendingPathComponent("out/t_files/fig-toy.svg"), encoding: .utf8)
        #expect(svg.components(separatedBy: "<circle").count == 9 + 4 + 1 + 1)
    }
}

/// The inference directives on the trained ResNet-56.
@Suite("The speedup and agreement directives", .enabled(if: ProcessInfo.processInfo.environment["FPGM_WEIGHTS_DIR"] != nil))
struct InferenceDirectiveTests {
    /// Renders one cell; returns its exported values and the HTML and Markdown reports.
    static func render(_ cell: String, _ name: String) throws -> (values: [String: Any], html: String, markdown: String) {
        let work = try scratchFolder("fpgm-\(name)-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        try Data(cell.utf8).write(to: work.appendingPathComponent("n.md"))
        let run = try FPGMProcess(["render", "n.md", "-o", "out"], in: work)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: work.appendingPathComponent("out/n.json"))) as? [String: Any])
        let values = try #require(((json["cells"] as? [[String: Any]])?.first?["values"]) as? [String: Any])
        return (values, try String(contentsOf: work.appendingPathComponent("out/n.html"), encoding: .utf8),
                try String(contentsOf: work.appendingPathComponent("out/n.md"), encoding: .utf8))
    }

    @Test("speedup: theoretical reductions are the exact convention's (paper.md 4.2: 50.41% and 47.91%); times are marked measured")
    func speedup() throws {
        let (values, html, markdown) = try Self.render(
            "```fpgm speedup\n#| label: tbl-s\nweights: hub:akamaster/resnet56\nbatch: 4\nrepeats: 1\n```\n", "speedup")
        #expect(values["theoretical_1"] as? Double == 0.504 && values["theoretical_2"] as? Double == 0.479)
        #expect(values["theoretical_1_percent"] as? Double == 50.4 && values["theoretical_2_percent"] as? Double == 47.9)
        #expect(values["measured_1"] is Double && values["measured_2_percent"] is Double)
        #expect(html.components(separatedBy: "<td class=\"right measured\">").count - 1 == 9)
        #expect(markdown.components(separatedBy: "<span class=\"measured\">").count - 1 == 9)
        #expect(markdown.contains("| FPGM 40%       |    419,449 |     62,223,040 |"))
    }

    @Test("agreement: nothing pruned at rate 0 (error 0, agreement 1 as a number); at 40% the criteria prune 780, 761, 780, 780 filters")
    func agreement() throws {
        let none = try Self.render("```fpgm agreement\n#| label: fig-a\nweights: hub:akamaster/resnet56\nrate: 0\nmix_dist: 0\ninput: smooth:8\n```\n", "agreement0")
        for criterion in ["fpgm", "mix", "l2", "random"] {
            #expect(none.values["max_error_\(criterion)"] as? Double == 0 && none.values["agreement_\(criterion)"] as? Double == 1)
        }
        #expect(none.markdown.contains("Generated images (smooth:8), not photographs"))
        let forty = try Self.render("```fpgm agreement\n#| label: fig-a\nweights: hub:akamaster/resnet56\ninput: pattern:2\n```\n", "agreement40")
        let counts = forty.markdown.split(separator: "\n").filter { $0.hasPrefix("| FPGM") || $0.hasPrefix("| L2") || $0.hasPrefix("| random") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }[2] }
        #expect(counts == ["780", "761", "780", "780"])
        #expect(forty.html.contains("<svg") && forty.html.contains("top-1 agreement (%)"))
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
