import Foundation
import Report
import Testing
@testable import Notebook

/// Directives for testing the runner: `echo` shows its text and exports it; `fail` always fails.
struct EchoDirective: Directive {
    let spec = DirectiveSpec(name: "echo", summary: "shows its text", arguments: [ArgumentSpec("text", .string, help: "what to show")])
    func run(_ arguments: [String: ArgumentValue], context: CellContext) throws -> CellResult {
        guard case let .string(text)? = arguments["text"] else { throw TestFailure(description: "no text") }
        let table = Table(columns: ["Text"], alignments: [.left], rows: [[text]])
        return CellResult(outputs: [.table(table)], values: [("text", text), ("seen", context.values.keys.sorted().joined(separator: "+"))])
    }
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
    let runner = Runner(directives: [EchoDirective(), FailDirective()])

    func render(_ text: String, parameters: Parameters = Parameters(), keepGoing: Bool = false) throws -> RenderOutcome {
        try runner.render(try Notebook(path: "x.md", text: text), parameters: parameters, keepGoing: keepGoing)
    }

    @Test("cells run in order, see earlier values, fill prose values and number tables")
    func order() throws {
        let outcome = try render("""
        Intro: {{tbl-b.text}} and @tbl-a.

        ```fpgm echo
        #| label: tbl-a
        text: first
        ```

        ```fpgm echo
        #| label: tbl-b
        text: second
        ```
        """)
        #expect(outcome.records.map(\.status) == [.ok, .ok])
        #expect(outcome.records[1].values.first { $0.key == "seen" }?.value == "tbl-a")
        guard case let .prose(markdown, html) = outcome.document.blocks[0] else { Issue.record("no prose"); return }
        #expect(markdown == "Intro: second and [Table 1](#tbl-a).\n\n")
        #expect(html == "<p>Intro: second and <a href=\"#tbl-a\">Table 1</a>.</p>\n")
        guard case let .cell(second) = outcome.document.blocks[3] else { Issue.record("no cell"); return }
        #expect(second.name == "Table 2")
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
        ("```fpgm echo\ntxt: x\n```\n", "x.md:2:1: error: [cell-1] echo: unknown argument 'txt'; did you mean 'text'? (valid: text)"),
        ("```fpgm echo\ntext: [x\n```\n", "x.md:3:1: error: [cell-1] echo: arguments: did not find expected ',' or ']'"),
        ("See @fig-none.\n\n```fpgm echo\ntext: x\n```\n", "x.md:1:5: error: '@fig-none' refers to no table or figure of this notebook"),
        ("{{cell-1.nothing}}\n\n```fpgm echo\ntext: x\n```\n", "x.md:1:1: error: '{{cell-1.nothing}}' names no value a cell exported (cell-1 exports: seen, text)"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try render(text)
            Issue.record("rendered")
        } catch {
            #expect("\(error)" == message)
        }
    }

    @Test("parameters reach the arguments")
    func parameters() throws {
        var parameters = Parameters()
        try parameters.assign("word=hello")
        let outcome = try render("```fpgm echo\ntext: ${word}\n```\n", parameters: parameters)
        #expect(outcome.records[0].values.first?.value == "hello")
    }
}
