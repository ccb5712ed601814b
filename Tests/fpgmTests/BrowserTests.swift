import Foundation
import Testing
@testable import fpgm


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

    @Test("the paper report as a reader sees it (output/fpgm-paper.html): no raw TeX or directive syntax, every figure captioned, every chart's axes labelled",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"))
    func paperReport() throws {
        let work = try scratchFolder("fpgm-browser-paper-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        // The committed report, which `make run` renders and CI renders again and compares: rendering it
        // here in the debug build would fine-tune its networks at a tenth of the release build's speed.
        let page = FPGMProcess.packageRoot.appendingPathComponent("output/fpgm-paper.html")
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
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }
        let first = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(first.firstMatch(of: /127\.0\.0\.1:(\d+)\//).flatMap { Int($0.output.1) })
        // The edit is saved while Chromium holds the page, which asks for the version every 200 ms of its own
        // time (it runs its timers faster than the clock: 500 s of page time took about 7 s here, and it stops
        // while a request is pending). The preview holds that request while it renders, so that however busy
        // the machine, the render costs the page no time; the budget, 1,000 s of page time, need only cover
        // the second until the save and the moment the preview takes to see it.
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 1)
            try? Data("# Hello\n\nSecond version.\n".utf8).write(to: notebook)
        }
        let (dom, log) = try Self.dumpDOM(try #require(URL(string: "http://127.0.0.1:\(port)/")), profile: root.appendingPathComponent("profile"),
                                          virtualTime: 1_000_000)
        process.terminate()
        process.waitUntilExit()
        let said = first + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(dom.contains("Second version.") && !dom.contains("First version."), "the preview said: \(said)")
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
