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

    @Test("a page of fpgm preview in a browser shows an edit of its notebook without a manual reload",
          .enabled(if: chromium != nil, "Chromium is not installed (make test installs Debian's chromium when it can)"))
    func previewReloads() throws {
        let root = try scratchFolder("fpgm-browser-preview-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let notebook = root.appendingPathComponent("a.md"), profile = root.appendingPathComponent("profile")
        try Data("# Hello\n\nFirst version.\n".utf8).write(to: notebook)
        let preview = Process(), output = Pipe()
        preview.executableURL = FPGMProcess.binary
        preview.arguments = ["preview", notebook.path, "--port", "0", "-o", root.appendingPathComponent("site").path]
        preview.standardOutput = output
        preview.standardError = FileHandle.nullDevice
        try preview.run()
        defer { if preview.isRunning { preview.terminate(); preview.waitUntilExit() } }
        let (first, port) = try PreviewTests.address(output)
        var said = first

        // Chromium keeps the page open in real time (a virtual time budget can stall for good when the page
        // keeps asking); its DevTools endpoint, plain HTTP on 127.0.0.1, tells the open page's title, which
        // is the notebook's first heading.
        let browser = Process(), logFile = root.appendingPathComponent("chromium.log")
        try #require(FileManager.default.createFile(atPath: logFile.path, contents: nil))
        browser.executableURL = URL(fileURLWithPath: try #require(Self.chromium))
        browser.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                             "--user-data-dir=\(profile.path)", "--remote-debugging-port=0", "http://127.0.0.1:\(port)/"]
        browser.standardOutput = FileHandle.nullDevice
        browser.standardError = try FileHandle(forWritingTo: logFile)
        try browser.run()
        defer { if browser.isRunning { browser.terminate(); browser.waitUntilExit() } }
        let title = { () -> String? in
            guard let file = try? String(contentsOf: profile.appendingPathComponent("DevToolsActivePort"), encoding: .utf8),
                  let devtools = file.split(separator: "\n").first.flatMap({ Int($0) }),
                  let list = try? PreviewTests.get(devtools, "/json/list").body,
                  let pages = try? JSONSerialization.jsonObject(with: Data(list.utf8)) as? [[String: Any]] else { return nil }
            return pages.first { ($0["url"] as? String)?.hasPrefix("http://127.0.0.1:\(port)/") == true }?["title"] as? String
        }
        /// Waits up to a minute of real time for the open page's title to be `expected`.
        func waitForTitle(_ expected: String) -> Bool {
            let start = Date()
            while Date().timeIntervalSince(start) < 60 {
                if title() == expected { return true }
                usleep(100_000)
            }
            return false
        }
        #expect(waitForTitle("Hello"), "the first version was not shown")
        try Data("# Second\n\nSecond version.\n".utf8).write(to: notebook, options: .atomic)  // as an editor saves
        #expect(waitForTitle("Second"), "the page did not reload to show the edit (its title is \(title() ?? "unknown"))")
        browser.terminate()
        browser.waitUntilExit()
        preview.terminate()
        preview.waitUntilExit()
        said += String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(said.components(separatedBy: "served a.html\n").count >= 3, "the page was served again after the edit: \(said)")
        let log = try String(contentsOf: logFile, encoding: .utf8)
        #expect(!log.contains("CONSOLE"), "\(log)")
    }

    /// The page's DOM after Chromium has loaded it, and Chromium's log; with `screenshot`, also a picture of it.
    static func dumpDOM(_ page: URL, profile: URL, screenshot: URL? = nil) throws -> (dom: String, log: String) {
        var arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                         "--user-data-dir=\(profile.path)", "--dump-dom"]
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
