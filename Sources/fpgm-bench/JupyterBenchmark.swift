import Foundation

/// `fpgm render notebooks/fpgm-paper.md` (parts 1-6) against the same analyses done the Jupyter way: the notebook
/// that Tools/jupyter_paper.py writes (numpy, scipy, matplotlib on the trained ResNet-56 and ResNet-20),
/// run by `jupyter nbconvert --execute`. fpgm renders cold (empty cache) and warm (every cell cached);
/// the peak memory of the cold renders is reported too. Both run in the environment the benchmark was
/// started with, so that each chooses its own BLAS threads and kernels.
enum JupyterBenchmark {
    static let repeats = 5

    static func run() throws {
        guard let weights = launchEnvironment["FPGM_WEIGHTS_DIR"] else {
            print("jupyter: skipped, set FPGM_WEIGHTS_DIR to the folder of the trained weights")
            return
        }
        guard let jupyter = executableInPath("jupyter"), pythonHas("numpy, scipy, matplotlib, nbformat") else {
            print("jupyter: skipped, it needs jupyter with nbconvert, and python3 with numpy, scipy, matplotlib and nbformat")
            return
        }
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ipynb = folder.appendingPathComponent("paper.ipynb").path, results = folder.appendingPathComponent("results.json").path
        _ = try runProgram("/usr/bin/env", ["python3", packageRoot.appendingPathComponent("Tools/jupyter_paper.py").path, ipynb, weights, results])
        let jupyterArguments = ["nbconvert", "--to", "html", "--execute", ipynb, "--output", folder.appendingPathComponent("paper.html").path]

        // The same analyses: parts 1-6 of the paper notebook (part 7 runs and times networks, which the
        // Jupyter notebook does not).
        let notebook = folder.appendingPathComponent("fpgm-paper.md")
        let paper = try String(contentsOf: packageRoot.appendingPathComponent("notebooks/fpgm-paper.md"), encoding: .utf8)
        guard let partSeven = paper.range(of: "\n## 7.") else { throw BenchmarkFailure(description: "notebooks/fpgm-paper.md has no part 7 heading") }
        try Data(paper[..<partSeven.lowerBound].utf8).write(to: notebook)
        let fpgm = try fpgmBinary(), output = folder.appendingPathComponent("out").path
        let render = ["render", notebook.path, "-o", output, "--quiet"]
        let cache = folder.appendingPathComponent(".fpgm-cache")

        // Check before timing: both ways ran; their norms and FPGM-only choices agree; fpgm's second render is all cached.
        try spawnQuietly(jupyter, jupyterArguments, environment: launchEnvironment)
        try spawnQuietly(fpgm, render, environment: launchEnvironment)
        try spawnQuietly(fpgm, render, environment: launchEnvironment)
        let report = try String(contentsOfFile: output + "/fpgm-paper.json", encoding: .utf8)
        guard !report.contains("\"status\": \"ok\""), !report.contains("\"status\": \"error\""), report.contains("\"status\": \"cached\"") else {
            throw BenchmarkFailure(description: "the second fpgm render was not entirely cached")
        }
        let checked = try check(results: results, fpgm: fpgm, checkpoint: weights + "/resnet56-4bfd9763.th")
        print("jupyter: notebooks/fpgm-paper.md, parts 1-6, against Tools/jupyter_paper.py under nbconvert --execute (ResNet-56 and ResNet-20)")
        print("check: filter norms agree to 1e-6 and FPGM-only 40% chooses the same filters on all \(checked) conv layers of ResNet-56")

        let jupyterTimes = try time(repeats) { try spawnQuietly(jupyter, jupyterArguments, environment: launchEnvironment) }
        var peakKilobytes = 0
        let cold = try time(repeats) {
            try FileManager.default.removeItem(at: cache)
            peakKilobytes = max(peakKilobytes, try spawnQuietly(fpgm, render, environment: launchEnvironment).ru_maxrss)
        }
        let warm = try time(repeats) { try spawnQuietly(fpgm, render, environment: launchEnvironment) }
        print("")
        print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90")
        print(jupyterTimes.row("jupyter nbconvert --execute (\(repeats) runs)"))
        print(cold.row("fpgm render, cold (\(repeats) runs)"))
        print(warm.row("fpgm render, warm (\(repeats) runs)"))
        print("")
        print(String(format: "fpgm cold is %.1fx faster than the Jupyter way, warm %.0fx (medians); goals: cold < 0.5 s, warm < 0.05 s",
                     jupyterTimes.median / cold.median, jupyterTimes.median / warm.median))
        print(String(format: "peak memory of fpgm render (cold): %.1f MB (goal: under 100 MB)", Double(peakKilobytes) / 1024))
    }

    /// Compares the notebook's results with `fpgm norms` and `fpgm select`; returns the number of layers.
    static func check(results: String, fpgm: String, checkpoint: String) throws -> Int {
        guard let notebook = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: results))) as? [String: Any],
              let norms = notebook["norms"] as? [String: [Double]], let chosen = notebook["fpgm_only"] as? [String: [Int]],
              let fpgmNorms = try JSONSerialization.jsonObject(with: runProgram(fpgm, ["norms", checkpoint, "--json"])) as? [String: Any],
              let layers = fpgmNorms["layers"] as? [[String: Any]] else {
            throw BenchmarkFailure(description: "unexpected JSON from the notebook or from fpgm norms")
        }
        for layer in layers {
            guard let name = layer["name"] as? String, let values = layer["l2"] as? [Double], let expected = norms[name],
                  expected.count == values.count,
                  zip(values, expected).allSatisfy({ abs($0 - $1) <= 1e-6 * max(abs($1), 1e-12) }) else {
                throw BenchmarkFailure(description: "filter norms differ from the notebook's in layer \(layer["name"] ?? "?")")
            }
        }
        let selected = try prunedLayers(runProgram(fpgm, ["select", checkpoint, "--arch", "resnet56", "--rate-norm", "1.0",
                                                          "--rate-dist", "0.4", "--json"]), key: "layers")
        guard selected == chosen, layers.count == chosen.count else {
            throw BenchmarkFailure(description: "fpgm select and the notebook choose different filters")
        }
        return chosen.count
    }

    /// The first executable named `name` in PATH.
    static func executableInPath(_ name: String) -> String? {
        (launchEnvironment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
