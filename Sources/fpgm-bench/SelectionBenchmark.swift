import FPGM
import Foundation

/// Selection on ResNet-50-shaped weights: `fpgm select` as a whole process, the BLAS calls alone,
/// and the official numpy/scipy way when python3 has them.
enum SelectionBenchmark {
    static let rateNorm = 1.0, rateDist = 0.4, repeats = 5

    static func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (architecture, weights, npz) = try writeSyntheticResNet50(into: folder)
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
        if pythonHas("numpy, scipy.spatial") {
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
            _ = ParallelMap.map(filters.count) { _ = Float32GramMatrix(filters[$0]) }
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

}

