import Foundation

/// `fpgm render` on a 200-cell synthetic notebook (each cell the filter norms of seeded synthetic CIFAR
/// ResNet weights, so that each cell costs real work), cold (empty cache) and warm (every cell cached).
enum RenderBenchmark {
    static let cells = 200, repeats = 3

    static func run() throws {
        let folder = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let notebook = folder.appendingPathComponent("bench.md")
        var text = "---\ntitle: Render benchmark\n---\n# Norms of synthetic networks\n"
        let archs = ["resnet20", "resnet32", "resnet44", "resnet56"]
        for index in 0..<cells {
            text += "\nCell \(index + 1).\n\n```fpgm norms\n#| label: tbl-\(index + 1)\nweights: synthetic\narch: \(archs[index % archs.count])\nseed: \(index)\n```\n"
        }
        try Data(text.utf8).write(to: notebook)
        let fpgm = try fpgmBinary()
        let output = folder.appendingPathComponent("out").path
        let arguments = ["render", notebook.path, "-o", output, "--quiet"]
        let cache = folder.appendingPathComponent(".fpgm-cache")

        // Check before timing: a cold render runs every cell, a warm one runs none, and both write the same reports.
        try? FileManager.default.removeItem(at: cache)
        try spawnQuietly(fpgm, arguments)
        let coldHTML = try Data(contentsOf: URL(fileURLWithPath: output + "/bench.html"))
        let coldJSON = try String(contentsOfFile: output + "/bench.json", encoding: .utf8)
        try spawnQuietly(fpgm, arguments)
        let warmJSON = try String(contentsOfFile: output + "/bench.json", encoding: .utf8)
        guard coldJSON.components(separatedBy: "\"status\": \"ok\"").count == cells + 1,
              warmJSON.components(separatedBy: "\"status\": \"cached\"").count == cells + 1,
              try Data(contentsOf: URL(fileURLWithPath: output + "/bench.html")) == coldHTML else {
            throw BenchmarkFailure(description: "the cold render did not run every cell, or the warm one was not all cached")
        }
        print("render: \(cells) norms cells on synthetic CIFAR ResNets; check: cold runs all, warm runs none, same HTML")
        let cold = try time(repeats) {
            try FileManager.default.removeItem(at: cache)
            try spawnQuietly(fpgm, arguments)
        }
        let warm = try time(repeats) { try spawnQuietly(fpgm, arguments) }
        print("")
        print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90")
        print(cold.row("cold: empty cache (\(repeats) runs)"))
        print(warm.row("warm: every cell cached (\(repeats) runs)"))
        print("")
        print(String(format: "cells per second: %.0f cold, %.0f warm", Double(cells) / cold.median, Double(cells) / warm.median))
        print(String(format: "warm is %.1fx faster than cold (median; goal: at least 20x)", cold.median / warm.median))
    }
}
