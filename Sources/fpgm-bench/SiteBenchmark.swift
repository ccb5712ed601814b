import Foundation

/// `fpgm render DIR` on a 50-notebook site (each notebook two cells of filter norms of seeded synthetic
/// networks, and a link to the next one) against rendering the 50 notebooks one by one, cold (empty
/// caches), timed in turns; and the site warm (every cell cached).
enum SiteBenchmark {
    static let notebooks = 50, repeats = 3

    static func run() throws {
        let root = try scratchFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let project = root.appendingPathComponent("site-project")
        let archs = ["resnet20", "resnet32", "resnet44", "resnet56"]
        for index in 0..<notebooks {
            func part(_ index: Int) -> String { index < notebooks / 2 ? "part1" : "part2" }
            let folder = project.appendingPathComponent(part(index))
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var text = "# Notebook \(index + 1)\n\nThe next one is [here](../\(part(index + 1))/n\(index + 1).md).\n"
            for cell in 0..<2 {
                text += "\n```fpgm norms\n#| label: tbl-\(cell + 1)\nweights: synthetic\narch: \(archs[(index + cell) % archs.count])\nseed: \(index)\n```\n"
            }
            try Data(text.utf8).write(to: folder.appendingPathComponent("n\(index).md"))
        }
        let fpgm = try fpgmBinary(), site = root.appendingPathComponent("site").path, single = root.appendingPathComponent("single").path
        let siteArguments = ["render", project.path, "-o", site, "--quiet"]
        let paths = try FileManager.default.subpathsOfDirectory(atPath: project.path).filter { $0.hasSuffix(".md") }.sorted()
        func clearCaches() {
            for part in ["part1", "part2"] { try? FileManager.default.removeItem(at: project.appendingPathComponent(part).appendingPathComponent(".fpgm-cache")) }
        }
        func oneByOne() throws {
            for path in paths {
                try spawnQuietly(fpgm, ["render", project.appendingPathComponent(path).path, "-o", (single as NSString).appendingPathComponent(path), "--quiet"])
            }
        }

        // Check before timing: every page and the index are written, with the navigation; a warm render runs no cell.
        clearCaches()
        try spawnQuietly(fpgm, siteArguments)
        let index = try String(contentsOfFile: site + "/index.html", encoding: .utf8)
        let page = try String(contentsOfFile: site + "/part1/n0.html", encoding: .utf8)
        try spawnQuietly(fpgm, siteArguments + ["--to", "json"])
        let warm = try String(contentsOfFile: site + "/part1/n0.json", encoding: .utf8)
        guard index.components(separatedBy: "<li><a href=").count - 1 == notebooks, page.contains("<nav class=\"site\">"),
              page.contains("<a href=\"../part1/n1.html\">here</a>"), warm.components(separatedBy: "\"status\": \"cached\"").count == 3 else {
            throw BenchmarkFailure(description: "the site lacks pages, its index or navigation, or the warm render ran cells")
        }
        print("site: \(notebooks) notebooks of 2 norms cells each in two folders; checks: every page, the index, the navigation, links; warm runs no cell")
        let (cold, separate) = try timeInTurns(repeats, {
            clearCaches()
            try spawnQuietly(fpgm, siteArguments)
        }, {
            clearCaches()
            try oneByOne()
        })
        let cached = try time(repeats) { try spawnQuietly(fpgm, siteArguments) }
        print("")
        print("".padding(toLength: 40, withPad: " ", startingAt: 0) + "      min    median       p90")
        print(cold.row("site, cold (\(repeats) runs)"))
        print(separate.row("\(notebooks) notebooks one by one, cold"))
        print(cached.row("site, warm (\(repeats) runs)"))
        print("")
        print(String(format: "site cold / one by one: %.2fx (goal: under 2x); site warm: %.3f s (goal: under 0.2 s)", cold.median / separate.median, cached.median))
    }
}
