import FPGM
import Foundation

/// Benchmarks of fpgm-notebook. Each checks its results before it times anything, then prints
/// min / median / p90 with the problem size.
///
///     swift run -c release fpgm-bench selection

/// Summary of repeated timings in seconds.
struct Timings {
    let samples: [Double]
    var sorted: [Double] { samples.sorted() }
    var min: Double { sorted.first ?? 0 }
    var median: Double { sorted[sorted.count / 2] }
    var p90: Double { sorted[Swift.min(sorted.count - 1, Int((Double(sorted.count) * 0.9).rounded(.up)) - 1)] }

    func row(_ label: String) -> String {
        label.padding(toLength: 40, withPad: " ", startingAt: 0)
            + [min, median, p90].map { String(format: "%9.3f s", $0) }.joined()
    }
}

func time(_ repeats: Int, _ body: () throws -> Void) rethrows -> Timings {
    var samples = [Double]()
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return Timings(samples: samples)
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
}

/// Runs a program and returns its standard output; fails on a non-zero exit.
func runProgram(_ executable: String, _ arguments: [String], in directory: URL? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let message = errors.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchmarkFailure(description: "\(executable) \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
    }
    return data
}

/// Runs a program with its output discarded and waits for it, through posix_spawn alone, so that a
/// timing holds the program and not the cost of collecting its output; fails on a non-zero exit.
func spawnQuietly(_ executable: String, _ arguments: [String]) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    var argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, executable, &actions, nil, &argv, environ) == 0 else {
        throw BenchmarkFailure(description: "cannot start \(executable)")
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    guard status == 0 else { throw BenchmarkFailure(description: "\(executable) failed with status \(status)") }
}

/// The pruned filters per layer from `fpgm select --json` or the official script.
func prunedLayers(_ json: Data, key: String) throws -> [String: [Int]] {
    let object = try JSONSerialization.jsonObject(with: json) as? [String: Any]
    if key == "layers", let layers = object?["layers"] as? [[String: Any]] {
        return Dictionary(uniqueKeysWithValues: layers.map { ($0["name"] as! String, $0["pruned"] as! [Int]) })
    }
    guard let map = object?[key] as? [String: [Int]] else { throw BenchmarkFailure(description: "unexpected JSON") }
    return map
}

enum SelectionBenchmark {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let rateNorm = 1.0, rateDist = 0.4, repeats = 5

    static func run() throws {
        let architecture = try Architecture.named("resnet50")
        let weights = architecture.syntheticWeights(seed: 2019)
        let names = architecture.convolutions.map { "\($0.name).weight" }
            + architecture.batchNorms.flatMap { norm in ["weight", "bias", "running_mean", "running_var"].map { "\(norm.name).\($0)" } }
            + ["\(architecture.classifier.name).weight", "\(architecture.classifier.name).bias"]
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-bench-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let npz = folder.appendingPathComponent("resnet50.npz").path
        try NPZWriter.write(names.map { (name: $0, tensor: weights[$0]!) }, to: npz)
        let bytes = (try FileManager.default.attributesOfItem(atPath: npz)[.size] as? Int) ?? 0
        let layers = architecture.prunableConvolutions
        print("selection: resnet50-shaped synthetic weights (seed 2019), \(layers.count) conv layers, npz of \(String(format: "%.1f", Double(bytes) / 1e6)) MB, rate_norm \(rateNorm), rate_dist \(rateDist)")

        let fpgm = try fpgmBinary()
        let arguments = ["select", npz, "--arch", "resnet50", "--rate-norm", String(rateNorm), "--rate-dist", String(rateDist), "--json"]

        // Check before timing: the CLI's plan equals the engine's plan and, when numpy and scipy are here, the official code's.
        let cliPlan = try prunedLayers(try runProgram(fpgm, arguments), key: "layers")
        let engine = try FilterSelector(rates: try PruningRates(rateNorm: rateNorm, rateDist: rateDist))
            .plan(for: layers.map { ($0.name, weights["\($0.name).weight"]!.filters) })
        guard cliPlan == Dictionary(uniqueKeysWithValues: engine.layers.map { ($0.name, $0.pruned) }) else {
            throw BenchmarkFailure(description: "fpgm select and the engine disagree")
        }
        var official: Timings?
        if pythonHasScipy() {
            let script = packageRoot.appendingPathComponent("Tools/official_selection.py").path
            let output = try runProgram("/usr/bin/env", ["python3", script, npz, String(rateNorm), String(rateDist), "3"])
            guard try prunedLayers(output, key: "pruned") == cliPlan else {
                throw BenchmarkFailure(description: "fpgm select and the official selection disagree")
            }
            let seconds = (try JSONSerialization.jsonObject(with: output) as? [String: Any])?["seconds"] as? [Double] ?? []
            official = Timings(samples: seconds)
            print("check: fpgm select = engine = official numpy/scipy selection on all \(layers.count) layers")
        } else {
            print("check: fpgm select = engine on all \(layers.count) layers (python3 with numpy and scipy not found: no official comparison)")
        }

        let whole = try time(repeats) { try spawnQuietly(fpgm, arguments) }
        // The Gram matrices as selection computes them: layers spread over the cores, one BLAS thread each.
        let filters = layers.map { weights["\($0.name).weight"]!.filters }.sorted { $0.rows * $0.scalars.count > $1.rows * $1.scalars.count }
        let blas = time(repeats) {
            DispatchQueue.concurrentPerform(iterations: filters.count) { _ = Float32GramMatrix(filters[$0]) }
        }
        print("")
        print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90")
        print(whole.row("fpgm select, whole process (\(repeats) runs)"))
        print(blas.row("BLAS ssyrk calls alone (\(repeats) runs)"))
        if let official { print(official.row("official numpy + scipy cdist (3 runs)")) }
        print("")
        print(String(format: "fpgm whole process / BLAS alone (median): %.2fx (goal: at most 3x)", whole.median / blas.median))
        if let official {
            print(String(format: "official / fpgm whole process (median): %.1fx faster (goal: at least 20x)", official.median / whole.median))
        }
    }

    /// The release `fpgm` beside this benchmark, built first when it is missing.
    static func fpgmBinary() throws -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("fpgm").path
        if !FileManager.default.isExecutableFile(atPath: beside) {
            print("building fpgm (release) first")
            _ = try runProgram("/usr/bin/env", ["swift", "build", "-c", "release", "--product", "fpgm"], in: packageRoot)
        }
        return beside
    }

    static func pythonHasScipy() -> Bool {
        (try? runProgram("/usr/bin/env", ["python3", "-c", "import numpy, scipy.spatial"])) != nil
    }
}

BLASRuntime.configureAndRestartIfNeeded(singleThreaded: true)
print("OpenBLAS kernels: \(BLASRuntime.coreName)")
let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "selection":
    do {
        try SelectionBenchmark.run()
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
default:
    print("USAGE: fpgm-bench selection")
    exit(arguments.isEmpty ? 0 : 2)
}
