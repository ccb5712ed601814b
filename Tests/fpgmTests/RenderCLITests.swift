import Foundation
import Testing
@testable import fpgm


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

@Suite("Render errors")
struct RenderErrorTests {
    static let cell = "```fpgm flops\narchs: [resnet20]\n```\n"

    @Test("each notebook error gives its exact message and exit code", arguments: [
        ("```fpgm flops\narchs: [resnet20]\n", 2, "e.md:1:1: error: the fpgm cell opened here is never closed (a fence of ``` is missing)"),
        ("```fpgm flosp\narchs: [resnet20]\n```\n", 2, "e.md:1:1: error: [cell-1] flosp: unknown directive 'flosp'; did you mean 'flops'? (known: accuracy, agreement, equivalence, finetune, flops, freeze, model, norms, select, speedup, toy)"),
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
