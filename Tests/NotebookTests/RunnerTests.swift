import Foundation
import Report
import Testing
@testable import Notebook
import Digest

/// Directives for testing the runner: `echo` shows its text and exports it; `fail` always fails.
struct EchoDirective: Directive {
    /// Counts this directive's runs, when given.
    var counter: Counter? = nil
    let spec = DirectiveSpec(name: "echo", summary: "shows its text", arguments: [
        ArgumentSpec("text", .string, help: "what to show"),
        ArgumentSpec("after", .string, default: .string(""), help: "a cell whose text to append"),
        ArgumentSpec("file", .string, default: .string(""), help: "an input file whose contents to append"),
    ])
    func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        guard case var .string(text)? = arguments["text"], case let .string(after)? = arguments["after"],
              case let .string(file)? = arguments["file"] else { throw TestFailure(description: "no text") }
        if !after.isEmpty { text += " " + (context.values(of: after)?["text"] ?? "?") }
        if !file.isEmpty { text += " " + (try String(contentsOfFile: context.input(file), encoding: .utf8)) }
        counter?.increment()
        let table = Table(columns: ["Text"], alignments: [.left], rows: [[text]])
        return CellResult(outputs: [.table(table)], values: [("text", .text(text))])
    }
}

/// Counts directive runs, to show which cells the cache re-ran.
final class Counter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func increment() { lock.withLock { value += 1 } }
    func take() -> Int { lock.withLock { defer { value = 0 }; return value } }
}

struct FailDirective: Directive {
    let spec = DirectiveSpec(name: "fail", summary: "always fails", arguments: [])
    func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        throw TestFailure(description: "this cell fails on purpose")
    }
}

struct TestFailure: Error, CustomStringConvertible { let description: String }

@Suite("Running notebooks")
struct RunnerTests {
    let runner = Runner(directives: [EchoDirective(), FailDirective()], engineVersion: "test")

    func render(_ text: String, parameters: Parameters = Parameters(), keepGoing: Bool = false) throws -> RenderOutcome {
        try runner.render(try Notebook(path: "x.md", text: text), parameters: parameters, keepGoing: keepGoing, useCache: false)
    }

    @Test("cells run in order, see earlier values, fill prose values and number tables")
    func order() throws {
        let outcome = try render("""
        Intro: @tbl-b says {{tbl-b.text}} and @tbl-a.

        ```fpgm echo
        #| label: tbl-a
        text: first
        ```

        ```fpgm echo
        #| label: tbl-b
        text: second
        after: tbl-a
        ```
        """)
        #expect(outcome.records.map(\.status) == [.ok, .ok])
        guard case let .prose(markdown, html) = outcome.document.blocks[0] else { Issue.record("no prose"); return }
        #expect(markdown == "Intro: [Table 2](#tbl-b) says second first and [Table 1](#tbl-a).\n\n")
        #expect(html == "<p>Intro: <a href=\"#tbl-b\">Table 2</a> says second first and <a href=\"#tbl-a\">Table 1</a>.</p>\n")
        guard case let .cell(second) = outcome.document.blocks[3] else { Issue.record("no cell"); return }
        #expect(second.name == "Table 2")
    }

    @Test("values, references and math are not touched inside code spans and code blocks; \\{{ shows {{")
    func codeIsLeftAlone() throws {
        let prose = """
        Write `{{ name }}` and `` @tbl-x `` in code, \\{{ not a value }}, $x$.

        ```yaml
        rate: {{ rate }}
        see: @tbl-nothing $y$
        ```

        ~~~~
        ```
        {{ still code }}
        ~~~~
        Value {{tbl-a.text}}.
        """
        let outcome = try render(prose + """


        ```fpgm echo
        #| label: tbl-a
        text: first
        ```
        """)
        #expect(outcome.diagnostics.isEmpty)
        #expect(outcome.records.map(\.status) == [.ok])
        guard case let .prose(markdown, html) = outcome.document.blocks[0] else { Issue.record("no prose"); return }
        #expect(markdown == prose.replacingOccurrences(of: "{{tbl-a.text}}", with: "first") + "\n\n")
        #expect(html.contains("<p>Write <code>{{ name }}</code> and <code>@tbl-x</code> in code, {{ not a value }}, <math>"))
        #expect(html.contains("<pre><code class=\"language-yaml\">rate: {{ rate }}\nsee: @tbl-nothing $y$\n</code></pre>"))
        #expect(html.contains("<pre><code>```\n{{ still code }}\n</code></pre>\n<p>Value first.</p>"))
    }

    static let failing = """
    ```fpgm echo
    text: before
    ```

    ```fpgm fail
    ```

    ```fpgm echo
    text: after
    ```
    """

    @Test("a failing cell stops the run; the report shows its error; later cells are skipped")
    func stops() throws {
        let outcome = try render(Self.failing)
        #expect(outcome.records.map(\.status) == [.ok, .error, .skipped])
        #expect(outcome.failed)
        #expect(outcome.diagnostics.map(\.description) == ["x.md:5:1: error: [cell-2] fail: this cell fails on purpose"])
        guard case let .cell(failed) = outcome.document.blocks[2] else { Issue.record("no cell"); return }
        #expect(failed.error == "this cell fails on purpose")
    }

    @Test("--keep-going runs every other cell; allow-error lets the run continue without failing it")
    func keepGoing() throws {
        #expect(try render(Self.failing, keepGoing: true).records.map(\.status) == [.ok, .error, .ok])
        let allowed = try render(Self.failing.replacingOccurrences(of: "```fpgm fail\n", with: "```fpgm fail\n#| allow-error: true\n"))
        #expect(allowed.records.map(\.status) == [.ok, .error, .ok])
        #expect(!allowed.failed)
        #expect(allowed.diagnostics.first?.severity == .warning)
    }

    @Test("problems found before any cell runs", arguments: [
        ("```fpgm ecoh\ntext: x\n```\n", "x.md:1:1: error: [cell-1] ecoh: unknown directive 'ecoh'; did you mean 'echo'? (known: echo, fail)"),
        ("```fpgm echo\ntext: ${missing}\n```\n", "x.md:2:7: error: [cell-1] echo: undefined parameter 'missing' (no parameters are defined)"),
        ("```fpgm echo\ntxt: x\n```\n", "x.md:2:1: error: [cell-1] echo: unknown argument 'txt'; did you mean 'text'? (valid: text, after, file)"),
        ("```fpgm echo\ntext: [x\n```\n", "x.md:3:1: error: [cell-1] echo: arguments: did not find expected ',' or ']'"),
        ("See @fig-none.\n\n```fpgm echo\ntext: x\n```\n", "x.md:1:5: error: '@fig-none' refers to no table or figure of this notebook"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try render(text)
            Issue.record("rendered")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("a missing input file fails its cell with a message naming the file as the notebook does")
    func missingInput() throws {
        let outcome = try render("```fpgm echo\ntext: x\nfile: data/none.txt\n```\n")
        #expect(outcome.diagnostics.map(\.description) == ["x.md:1:1: error: [cell-1] echo: the input file 'data/none.txt' does not exist (paths are relative to the notebook)"])
    }

    @Test("progress lines name the cell and its directive while it runs, then its time, or that it came from the cache")
    func progress() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-progress-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let notebook = try Notebook(path: folder.appendingPathComponent("p.md").path, text: "```fpgm echo\n#| label: tbl-a\ntext: x\n```\n")
        final class Lines: @unchecked Sendable { var all = [CellProgress]() }
        let lines = Lines()
        _ = try runner.render(notebook, parameters: Parameters(), progress: { lines.all.append($0) })
        _ = try runner.render(notebook, parameters: Parameters(), progress: { lines.all.append($0) })
        #expect(lines.all.count == 3)
        #expect(lines.all[0] == .running("[1/1] tbl-a (echo) running"))
        guard case let .done(line) = lines.all[1] else { Issue.record("\(lines.all)"); return }
        #expect(line.hasPrefix("[1/1] tbl-a (echo) ") && line.hasSuffix("s"))
        #expect(lines.all[2] == .done("[1/1] tbl-a (echo) (cached)"))
    }

    @Test("an inline value no cell exported stays as written, with an error, and the report is still made")
    func missingValue() throws {
        let outcome = try render("{{cell-1.nothing}}\n\n```fpgm echo\ntext: x\n```\n")
        #expect(outcome.failed)
        #expect(outcome.diagnostics.map(\.description) == ["x.md:1:1: error: '{{cell-1.nothing}}' names no value a cell exported (cell-1 exports: text)"])
        guard case let .prose(markdown, _) = outcome.document.blocks[0] else { Issue.record("no prose"); return }
        #expect(markdown == "{{cell-1.nothing}}\n\n")
    }

    @Test("parameters reach the arguments")
    func parameters() throws {
        var parameters = Parameters()
        try parameters.assign("word=hello")
        let outcome = try render("```fpgm echo\ntext: ${word}\n```\n", parameters: parameters)
        #expect(outcome.records[0].values.first?.value == .text("hello"))
    }
}

@Suite("Cell cache", .serialized)
struct CellCacheTests {
    let counter = Counter()
    var runner: Runner { Runner(directives: [EchoDirective(counter: counter)], engineVersion: "test") }

    func notebook(_ text: String, in folder: URL) throws -> Notebook {
        let path = folder.appendingPathComponent("cached.md").path
        return try Notebook(path: path, text: text)
    }

    func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fpgm-cache-\(getpid())")
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func text(a: String = "alpha", rate: String = "${word}") -> String {
        """
        ```fpgm echo
        #| label: a
        text: \(a)
        ```

        ```fpgm echo
        #| label: b
        text: beta
        after: a
        ```

        ```fpgm echo
        #| label: c
        text: \(rate)
        ```

        ```fpgm echo
        #| label: d
        text: delta
        file: input.txt
        ```
        """
    }

    func render(_ text: String, _ folder: URL, word: String = "gamma") throws -> (RenderOutcome, [CellRecord.Status], Int) {
        var parameters = Parameters()
        try parameters.assign("word=\(word)")
        _ = counter.take()
        let outcome = try runner.render(try notebook(text, in: folder), parameters: parameters)
        return (outcome, outcome.records.map(\.status), counter.take())
    }

    @Test("a second render runs nothing; touching an input, a parameter or an upstream cell re-runs exactly its dependants")
    func invalidation() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("input.txt")
        try Data("one".utf8).write(to: input)
        let (fresh, first, firstRuns) = try render(Self.text(), folder)
        #expect(first == [.ok, .ok, .ok, .ok] && firstRuns == 4)
        let (cached, second, secondRuns) = try render(Self.text(), folder)
        #expect(second == [.cached, .cached, .cached, .cached] && secondRuns == 0)
        #expect(HTMLWriter.write(cached.document) == HTMLWriter.write(fresh.document))
        #expect(MarkdownWriter.write(cached.document, filesFolder: "f").text == MarkdownWriter.write(fresh.document, filesFolder: "f").text)

        try Data("two".utf8).write(to: input)
        #expect(try render(Self.text(), folder).1 == [.cached, .cached, .cached, .ok])
        #expect(try render(Self.text(), folder, word: "other").1 == [.cached, .cached, .ok, .cached])
        #expect(try render(Self.text(a: "changed"), folder, word: "other").1 == [.ok, .ok, .cached, .cached])
    }

    @Test("an input whose settled stamp is unchanged is not digested again; a recent change is not trusted")
    func stamps() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("input.txt")
        try Data("one".utf8).write(to: input)
        _ = try render(Self.text(), folder)
        let cache = CellCache(notebookPath: folder.appendingPathComponent("cached.md").path)
        let recorded = try #require(cache.valid(label: "d", key: CellCacheTests.storedKey(cache, "d"), cellKeys: [:], folder: folder))
        #expect(recorded.inputs.keys.sorted() == ["input.txt"] && recorded.stamps.isEmpty)
        let stamp = try #require(FileStamp(path: input.path))
        #expect(!stamp.settled() && stamp.settled(now: Date().addingTimeInterval(FileStamp.settlingSeconds + 1)))

        // An entry whose digest is wrong is still valid while the stamp matches: the file was not read.
        let trusted = CellCache.Entry(key: "k", inputs: ["input.txt": "not-the-digest"], stamps: ["input.txt": stamp.description],
                                      dependencies: [:], values: [], outputs: [])
        cache.store(trusted, label: "t")
        #expect(cache.valid(label: "t", key: "k", cellKeys: [:], folder: folder) == trusted)
        try Data("three".utf8).write(to: input)
        #expect(FileStamp(path: input.path) != stamp)
        #expect(cache.valid(label: "t", key: "k", cellKeys: [:], folder: folder) == nil)
    }

    @Test("an entry valid by digest but not by stamp records the file's settled stamp, once")
    func stampRefresh() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("input.txt")
        try Data("one".utf8).write(to: input)
        let digest = try SHA256Digest(fileAt: input.path).hex
        let cache = CellCache(notebookPath: folder.appendingPathComponent("cached.md").path)
        cache.store(CellCache.Entry(key: "k", inputs: ["input.txt": digest], dependencies: [:], values: [], outputs: []), label: "t")
        // A fresh file is digested and its stamp is not trusted yet.
        #expect(cache.valid(label: "t", key: "k", cellKeys: [:], folder: folder)?.stamps.isEmpty == true)
        Thread.sleep(forTimeInterval: FileStamp.settlingSeconds + 0.1)
        let stamp = try #require(FileStamp(path: input.path)).description
        #expect(cache.valid(label: "t", key: "k", cellKeys: [:], folder: folder)?.stamps == ["input.txt": stamp])
        let stored = try Data(contentsOf: cache.folder.appendingPathComponent("t.json"))
        #expect(CellCache.Entry(json: stored)?.stamps == ["input.txt": stamp])
    }

    static func storedKey(_ cache: CellCache, _ label: String) throws -> String {
        let data = try Data(contentsOf: cache.folder.appendingPathComponent("\(label).json"))
        return try #require(CellCache.Entry(json: data)).key
    }

    @Test("a corrupt entry is ignored and rewritten; --no-cache neither reads nor writes")
    func corrupt() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("x".utf8).write(to: folder.appendingPathComponent("input.txt"))
        _ = try render(Self.text(), folder)
        let entry = folder.appendingPathComponent(".fpgm-cache/cached/a.json")
        try Data("{ not json".utf8).write(to: entry)
        #expect(try render(Self.text(), folder).1 == [.ok, .cached, .cached, .cached])
        #expect(try JSONSerialization.jsonObject(with: Data(contentsOf: entry)) is [String: Any])
        var parameters = Parameters()
        try parameters.assign("word=gamma")
        let uncached = try runner.render(try notebook(Self.text(), in: folder), parameters: parameters, useCache: false)
        #expect(uncached.records.map(\.status) == [.ok, .ok, .ok, .ok])
    }
}

@Suite("Headings and contents")
struct HeadingsTests {
    @Test("headings get unique anchors and a table of contents; code and raw HTML are not headings")
    func anchors() throws {
        let text = """
        # Norms & *distances*

        ```text
        <h2>not a heading</h2>
        # nor this
        ```

        <h2>raw html</h2>

        ## Results

        ```fpgm echo
        text: x
        ```

        ## Results
        """
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let outcome = try runner.render(try Notebook(path: "x.md", text: text), parameters: Parameters(), useCache: false)
        #expect(outcome.document.contents.entries == [
            TableOfContents.Entry(level: 1, text: "Norms & distances", anchor: "norms-distances"),
            TableOfContents.Entry(level: 2, text: "Results", anchor: "results"),
            TableOfContents.Entry(level: 2, text: "Results", anchor: "results-2"),
        ])
        let html = HTMLWriter.write(outcome.document)
        #expect(html.contains("<h1 id=\"norms-distances\">Norms &amp; <em>distances</em></h1>"))
        #expect(html.contains("<h2 id=\"results-2\">Results</h2>"))
        #expect(html.contains("&lt;h2&gt;not a heading&lt;/h2&gt;") && !html.contains("<h2>raw html</h2>"))
        #expect(html.contains("<li class=\"level2\"><a href=\"#results\">Results</a></li>"))
    }
}

@Suite("Math in prose")
struct MathSpansTests {
    @Test("math becomes MathML in HTML and stays as written in Markdown; code is left alone")
    func spans() throws {
        let text = """
        Inline $g(x)=\\sum_{j} \\|x - F_j\\|_2$ and a price of \\$5.

        $$
        x^{*} = \\arg\\min_{x} f(x)
        $$

        Code `$not math$` stays.

        ```text
        $also not math$
        ```
        """
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let outcome = try runner.render(try Notebook(path: "x.md", text: text), parameters: Parameters(), useCache: false)
        let html = HTMLWriter.write(outcome.document)
        #expect(html.contains("<math><mrow><mi>g</mi>"))
        #expect(html.contains("display=\"block\""))
        #expect(html.contains("<code>$not math$</code>") && html.contains("$also not math$"))
        #expect(html.contains("price of $5"))
        #expect(MarkdownWriter.write(outcome.document, filesFolder: "f").text == text + "\n")
        #expect(outcome.diagnostics.isEmpty)
    }

    @Test("inline math follows Pandoc's tex_math_dollars rule: prices, spaced dollars and a digit after the closing one stay text")
    func dollarRule() throws {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        func html(_ prose: String) throws -> String {
            HTMLWriter.write(try runner.render(try Notebook(path: "x.md", text: prose + "\n"), parameters: Parameters(), useCache: false).document)
        }
        #expect(try html("A GPU costs $5 and a CPU $10.").contains("<p>A GPU costs $5 and a CPU $10.</p>"))
        #expect(try html("From $20,000 to $30,000 a year.").contains("<p>From $20,000 to $30,000 a year.</p>"))
        #expect(try html("Not $ x$ and not $x $ either.").contains("<p>Not $ x$ and not $x $ either.</p>"))
        #expect(try html("Not $x$5 either.").contains("<p>Not $x$5 either.</p>"))
        #expect(try html("Two $x$ and $y$.").contains("<p>Two <math><mrow><mi>x</mi></mrow></math> and <math><mrow><mi>y</mi></mrow></math>.</p>"))
        #expect(try html("Across a line $a\nb$ is math.").contains("<math><mrow><mi>a</mi><mi>b</mi></mrow></math>"))
        #expect(try html("A paragraph $a\n\nb$ ends first.").contains("<p>A paragraph $a</p>"))
    }

    @Test("an unsupported macro shows the source as code, with a warning at its line")
    func unsupported() throws {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let outcome = try runner.render(try Notebook(path: "x.md", text: "One.\n\nSee $\\foo x$ here.\n"), parameters: Parameters(), useCache: false)
        #expect(HTMLWriter.write(outcome.document).contains("<code class=\"math\">$\\foo x$</code>"))
        #expect(outcome.diagnostics.map(\.description) == ["x.md:3:1: warning: math shown as source: the macro \\foo is not supported"])
        #expect(!outcome.failed)
    }
}

@Suite("Tables in prose")
struct ProseTableTests {
    func html(_ prose: String) throws -> String {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let document = try runner.render(try Notebook(path: "x.md", text: prose), parameters: Parameters(), useCache: false).document
        guard case let .prose(_, html) = document.blocks[0] else { return "" }
        return html
    }

    @Test("a GFM pipe table becomes a table: alignments, inline Markdown and math in cells, \\| in a cell, short and long rows")
    func table() throws {
        let prose = """
        | Criterion | Idea | Cost |
        |:---|:---:|---:|
        | `l2` | less *important* | 1 | extra |
        | FPGM \\| GM | $x$
        | # of filters |
        """
        #expect(try html(prose + "\n") == """
        <table>
        <thead>
        <tr>
        <th align="left">Criterion</th>
        <th align="center">Idea</th>
        <th align="right">Cost</th>
        </tr>
        </thead>
        <tbody>
        <tr>
        <td align="left"><code>l2</code></td>
        <td align="center">less <em>important</em></td>
        <td align="right">1</td>
        </tr>
        <tr>
        <td align="left">FPGM | GM</td>
        <td align="center"><math><mrow><mi>x</mi></mrow></math></td>
        <td align="right"></td>
        </tr>
        <tr>
        <td align="left"># of filters</td>
        <td align="center"></td>
        <td align="right"></td>
        </tr>
        </tbody>
        </table>

        """)
    }

    @Test("a table inside a block quote, a header alone, and paragraphs that only look like tables")
    func edges() throws {
        #expect(try html("> | a | b |\n> | - | - |\n> | 1 | 2 |\n")
            == "<blockquote>\n<table>\n<thead>\n<tr>\n<th>a</th>\n<th>b</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n<td>1</td>\n<td>2</td>\n</tr>\n</tbody>\n</table>\n</blockquote>\n")
        #expect(try html("| a |\n| :-: |\n") == "<table>\n<thead>\n<tr>\n<th align=\"center\">a</th>\n</tr>\n</thead>\n</table>\n")
        #expect(try html("a | b\nand more.\n") == "<p>a | b\nand more.</p>\n")
        #expect(try html("| a | b |\n| - |\n") == "<p>| a | b |\n| - |</p>\n")
        #expect(try html("| a | <script>x</script> |\n| - | - |\n").contains("<th><!-- raw HTML omitted -->x<!-- raw HTML omitted --></th>"))
    }
}

@Suite("Footnotes in prose")
struct FootnoteTests {
    @Test("references become numbered links in order of first use, definitions close the document with links back; code, unknown and unused labels are left alone")
    func footnotes() throws {
        let text = """
        Redundant[^gm], twice[^GM], then[^b]; `[^gm]` and [^none] stay.

        ```fpgm echo
        text: between
        ```

        [^b]: Second.
        [^gm]: The geometric median,
            continued.

            A second paragraph.
        [^unused]: Never shown.
        """
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let document = try runner.render(try Notebook(path: "x.md", text: text), parameters: Parameters(), useCache: false).document
        let html = HTMLWriter.write(document)
        func reference(_ number: Int, _ id: String, _ suffix: String = "") -> String {
            "<sup class=\"footnote-ref\"><a href=\"#fn-\(id)\" id=\"fnref-\(id)\(suffix)\" data-footnote-ref>\(number)</a></sup>"
        }
        #expect(html.contains("<p>Redundant\(reference(1, "gm")), twice\(reference(1, "gm", "-2")), then\(reference(2, "b")); <code>[^gm]</code> and [^none] stay.</p>"))
        func back(_ id: String, _ number: Int, _ suffix: String = "") -> String {
            "<a href=\"#fnref-\(id)\(suffix)\" class=\"footnote-backref\" data-footnote-backref aria-label=\"Back to reference \(number)\(suffix)\">↩"
                + (suffix.isEmpty ? "" : "<sup class=\"footnote-ref\">\(suffix.dropFirst())</sup>") + "</a>"
        }
        #expect(html.contains("""
        <section class="footnotes" data-footnotes>
        <ol>
        <li id="fn-gm">
        <p>The geometric median,
        continued.</p>
        <p>A second paragraph. \(back("gm", 1)) \(back("gm", 1, "-2"))</p>
        </li>
        <li id="fn-b">
        <p>Second. \(back("b", 2))</p>
        </li>
        </ol>
        </section>
        """))
        #expect(!html.contains("Never shown") && !html.contains("[^b]:"))
        #expect(MarkdownWriter.write(document, filesFolder: "f").text.hasSuffix("    A second paragraph.\n[^unused]: Never shown.\n"))
    }
}

@Suite("Front matter")
struct FrontMatterTests {
    @Test("author as a list, date and description are shown; the page title falls back to the first heading; unknown keys are warnings")
    func frontMatter() throws {
        let text = "---\nauthor: [A. Reader, B. Writer]\ndate: 2026-12-01\ndescription: A \"test\" <page>\ntitel: x\n---\n# First heading\n\nText.\n"
        let outcome = try Runner(directives: [EchoDirective()], engineVersion: "test").render(try Notebook(path: "x.md", text: text),
                                                                                            parameters: Parameters(), useCache: false)
        let html = HTMLWriter.write(outcome.document)
        #expect(html.contains("<meta name=\"description\" content=\"A &quot;test&quot; &lt;page&gt;\">\n<title>First heading</title>"))
        #expect(html.contains("<p class=\"author\">A. Reader, B. Writer</p>\n<p class=\"date\">2026-12-01</p>\n"))
        #expect(!html.contains("<h1 class=\"title\">"))
        #expect(outcome.diagnostics.map(\.description)
            == ["x.md:5:1: warning: front matter: unknown key 'titel'; did you mean 'title'? (known: author, cache, date, description, output, params, title)"])
    }
}

@Suite("Cell options")
struct CellOptionsTests {
    @Test("echo and fold decide how HTML shows a cell's source; the front matter's author is shown")
    func display() throws {
        let text = """
        ---
        author: A. Reader
        ---
        ```fpgm echo
        #| echo: false
        text: hidden
        ```

        ```fpgm echo
        #| fold: false
        text: shown
        ```

        ```fpgm echo
        text: folded
        ```
        """
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        let html = HTMLWriter.write(try runner.render(try Notebook(path: "x.md", text: text), parameters: Parameters(), useCache: false).document)
        #expect(!html.contains("text: hidden"))
        #expect(html.contains("<pre class=\"source\"><code>#| fold: false\ntext: shown\n</code></pre>"))
        #expect(html.contains("<details><summary>Source: echo</summary><pre><code>text: folded\n</code></pre></details>"))
        #expect(html.contains("<p class=\"author\">A. Reader</p>"))
    }
}
