import FPGM
import Foundation

/// Loading ResNet-50-sized weights (102 MB): the time of `Checkpoint.read` against the time of reading
/// the file's bytes into memory, and the peak memory of `fpgm inspect` against the file size, for the
/// torch zip format (converted by Tools/npz_to_torch.py when python3 has numpy) and for the .npz.
enum LoadingBenchmark {
    static let repeats = 5

    static func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, weights, npz) = try writeSyntheticResNet50(into: folder)
        var files = [(format: String, path: String)]()
        if pythonHas("numpy") {
            let torch = folder.appendingPathComponent("resnet50.pt").path
            _ = try runProgram("/usr/bin/env", ["python3", packageRoot.appendingPathComponent("Tools/npz_to_torch.py").path, npz, torch])
            files.append(("torch zip", torch))
        } else {
            print("python3 with numpy not found: the torch zip file cannot be made; timing the .npz only")
        }
        files.append(("npz", npz))
        let fpgm = try fpgmBinary()
        print("loading: resnet50-shaped synthetic weights (seed 2019), \(weights.count) tensors")
        for (format, path) in files {
            let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            // Check before timing: every tensor comes back exactly.
            let checkpoint = try Checkpoint.read(path: path)
            guard checkpoint.tensors.count == weights.count,
                  checkpoint.tensors.allSatisfy({ weights[Checkpoint.canonicalName($0.name)] == $0.tensor }) else {
                throw BenchmarkFailure(description: "\(format): the tensors read differ from those written")
            }
            let reading = try time(repeats) { try readWholeFile(path, bytes: bytes) }
            let loading = try time(repeats) { _ = try Checkpoint.read(path: path) }
            let peak = try (0..<3).map { _ in try peakMemory(of: fpgm, ["inspect", path]) }.min() ?? 0
            print("")
            print("\(format): \(String(format: "%.1f", Double(bytes) / 1e6)) MB")
            print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90")
            print(reading.row("read the file's bytes (\(repeats) runs)"))
            print(loading.row("Checkpoint.read (\(repeats) runs)"))
            print(String(format: "load / read (median): %.2fx (goal: at most 1.5x)", loading.median / reading.median))
            print(String(format: "peak memory of fpgm inspect: %.1f MB = %.2fx the file (goal: under 2x)", Double(peak) / 1e6, Double(peak) / Double(bytes)))
        }
    }

    /// Reads the file into one fresh buffer of its size with read(2), as any loader must at least do.
    static func readWholeFile(_ path: String, bytes: Int) throws {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw BenchmarkFailure(description: "cannot open \(path)") }
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { buffer.deallocate() }
        var done = 0
        while done < bytes {
            let got = read(descriptor, buffer + done, bytes - done)
            guard got > 0 else { throw BenchmarkFailure(description: "cannot read \(path)") }
            done += got
        }
    }

    /// The peak resident memory (bytes) of a program, measured by a small helper process that starts
    /// it and reads its resource usage: a process started from this (large) one would count this
    /// one's memory as its own until it replaces its image.
    static func peakMemory(of executable: String, _ arguments: [String]) throws -> Int {
        let helper = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
        let output = try runProgram(helper, ["peak-memory", executable] + arguments)
        guard let kilobytes = Int(String(decoding: output, as: UTF8.self).split(separator: "\n").last ?? "") else {
            throw BenchmarkFailure(description: "no peak memory reported")
        }
        return kilobytes * 1024
    }
}
