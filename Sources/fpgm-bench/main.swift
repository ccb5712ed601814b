import FPGM
import Foundation

/// Benchmarks of fpgm-notebook. Each checks its results before it times anything, then prints
/// min / median / p90 with the problem size.
///
///     swift run -c release fpgm-bench selection
///     swift run -c release fpgm-bench loading
///     swift run -c release fpgm-bench render
///     swift run -c release fpgm-bench jupyter
///     swift run -c release fpgm-bench forward
///     swift run -c release fpgm-bench evaluate
///     swift run -c release fpgm-bench train

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

/// Two pieces of work timed in turns, `repeats` rounds of one run each, so that a machine whose speed
/// drifts slows both alike.
func timeInTurns(_ repeats: Int, _ first: () throws -> Void, _ second: () throws -> Void) rethrows -> (Timings, Timings) {
    var firsts = [Double](), seconds = [Double]()
    for _ in 0..<repeats {
        firsts += try time(1, first).samples
        seconds += try time(1, second).samples
    }
    return (Timings(samples: firsts), Timings(samples: seconds))
}

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fresh scratch folder for one benchmark.
func scratchFolder() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-bench-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// ResNet-50-shaped synthetic weights (seed 2019), written as an .npz state dict of 102 MB.
func writeSyntheticResNet50(into folder: URL) throws -> (Architecture, [String: Tensor], String) {
    let architecture = try Architecture.named("resnet50")
    let weights = architecture.syntheticWeights(seed: 2019)
    let names = architecture.convolutions.map { "\($0.name).weight" }
        + architecture.batchNorms.flatMap { norm in ["weight", "bias", "running_mean", "running_var"].map { "\(norm.name).\($0)" } }
        + ["\(architecture.classifier.name).weight", "\(architecture.classifier.name).bias"]
    let npz = folder.appendingPathComponent("resnet50.npz").path
    try NPZWriter.write(names.map { (name: $0, tensor: weights[$0]!) }, to: npz)
    return (architecture, weights, npz)
}

/// The release `fpgm` beside this benchmark, built first when it is missing.
func fpgmBinary() throws -> String {
    let beside = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("fpgm").path
    if !FileManager.default.isExecutableFile(atPath: beside) {
        print("building fpgm (release) first")
        _ = try runProgram("/usr/bin/env", ["swift", "build", "-c", "release", "--product", "fpgm"], in: packageRoot)
    }
    return beside
}

func pythonHas(_ modules: String) -> Bool {
    (try? runProgram("/usr/bin/env", ["python3", "-c", "import \(modules)"])) != nil
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

/// Runs a program with its output and errors discarded and waits for it, through posix_spawn alone, so
/// that a timing holds the program and not the cost of collecting its output; fails on a non-zero exit.
/// `environment` replaces this process's environment when given.
@discardableResult
func spawnQuietly(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> rusage {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    var argv = ([executable] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var variables = (environment ?? [:]).map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { variables.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = environment == nil ? posix_spawn(&pid, executable, &actions, nil, &argv, environ)
                                     : posix_spawn(&pid, executable, &actions, nil, &argv, &variables)
    guard spawned == 0 else {
        throw BenchmarkFailure(description: "cannot start \(executable)")
    }
    var status: Int32 = 0
    var usage = rusage()
    wait4(pid, &status, 0, &usage)
    guard status == 0 else { throw BenchmarkFailure(description: "\(executable) failed with status \(status)") }
    return usage
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

/// The environment as the benchmark was started, before it chose OpenBLAS settings for itself: the
/// environment of programs compared against fpgm, which choose their own.
let launchEnvironment = ProcessInfo.processInfo.environment
BLASRuntime.preferSingleThreaded()
print("OpenBLAS kernels: \(BLASRuntime.coreName)")
let arguments = Array(CommandLine.arguments.dropFirst())
// `peak-memory PROGRAM ARGS...`: the helper of LoadingBenchmark.peakMemory; prints kilobytes.
if arguments.first == "peak-memory", arguments.count > 1 {
    do {
        print(try spawnQuietly(arguments[1], Array(arguments.dropFirst(2))).ru_maxrss)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
        exit(1)
    }
}
let benchmarks: [String: () throws -> Void] = ["selection": SelectionBenchmark.run, "loading": LoadingBenchmark.run,
                                                "render": RenderBenchmark.run, "jupyter": JupyterBenchmark.run,
                                                "forward": ForwardBenchmark.run, "evaluate": EvaluationBenchmark.run, "site": SiteBenchmark.run,
                                                "preview": PreviewBenchmark.run, "train": TrainingBenchmark.run]
guard let name = arguments.first, let benchmark = benchmarks[name] else {
    print("USAGE: fpgm-bench <\(benchmarks.keys.sorted().joined(separator: "|"))>")
    exit(arguments.isEmpty ? 0 : 2)
}
do {
    try benchmark()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
