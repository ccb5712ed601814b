import Testing
@testable import Notebook
import Report

@Suite("Parameters")
struct ParametersTests {
    func frontMatter(_ text: String) throws -> YAMLNode { try YAML.parse(text) }

    @Test("front matter < params file < -p, typed as YAML")
    func precedence() throws {
        var parameters = try Parameters(frontMatter: frontMatter("params:\n  depth: 56\n  rate: 0.4\n  name: a\n"), file: "x.md")
        try parameters.merge(try YAML.parse("rate: 0.3\nflag: true\n"), file: "p.yml")
        try parameters.assign("depth=110")
        try parameters.assign("rates=[0.3, 0.4]")
        try parameters.assign("name=resnet 56")
        #expect(parameters.values.map(\.name) == ["depth", "rate", "name", "flag", "rates"])
        #expect(parameters["depth"]?.value == .int(110))
        #expect(parameters["rate"]?.value == .double(0.3))
        #expect(parameters["flag"]?.value == .bool(true))
        #expect(parameters["name"]?.value == .string("resnet 56"))
        guard case let .sequence(rates)? = parameters["rates"]?.value else { Issue.record("not a list"); return }
        #expect(rates.map(\.value) == [.double(0.3), .double(0.4)])
    }

    @Test("a parameter set from outside that the front matter does not declare, and one no cell uses, are warnings at the line that set it")
    func warnings() throws {
        let text = "---\nparams:\n  rate: 0.4\n  unused: 1\n---\n```fpgm echo\ntext: \"rate ${rate}\"\n```\n"
        let notebook = try Notebook(path: "x.md", text: text)
        var parameters = try Parameters(frontMatter: notebook.frontMatter, file: "x.md")
        try parameters.merge(try YAML.parse("rate: 0.3\nfile_only: a\n"), file: "p.yml")
        try parameters.assign("nosuch=1")
        let outcome = try Runner(directives: [EchoDirective()], engineVersion: "test").render(notebook, parameters: parameters, useCache: false)
        #expect(outcome.diagnostics.map(\.description) == [
            "x.md:4:1: warning: parameter 'unused' is used by no cell",
            "p.yml:2:1: warning: parameter 'file_only' is not declared in the front matter of x.md (it declares: rate, unused), and no cell uses it",
            "-p:1:1: warning: parameter 'nosuch' is not declared in the front matter of x.md (it declares: rate, unused), and no cell uses it",
        ])
        #expect(!outcome.failed)
    }

    @Test("${name} in a caption becomes the value as text (a string unquoted), counts as a use, and an undefined one is found before any cell runs")
    func captions() throws {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        func render(_ caption: String) throws -> RenderOutcome {
            let text = "---\nparams:\n  net: resnet56\n  rate: 0.4\n---\n```fpgm echo\n#| label: tbl-x\n#| caption: \(caption)\ntext: a\n```\n"
            let notebook = try Notebook(path: "x.md", text: text)
            return try runner.render(notebook, parameters: try Parameters(frontMatter: notebook.frontMatter, file: "x.md"), useCache: false)
        }
        let outcome = try render("FLOPs of ${net} at ${rate}")
        guard case let .cell(cell) = outcome.document.blocks[0] else { Issue.record("no cell"); return }
        #expect(cell.caption == "FLOPs of resnet56 at 0.4")
        #expect(outcome.diagnostics.isEmpty)
        let error = #expect(throws: Diagnostic.self) { try render("FLOPs of ${nope}") }
        #expect(error?.description == "x.md:8:22: error: [tbl-x] echo: undefined parameter 'nope' (defined: net, rate)")
    }

    @Test("${name} in a boolean cell option is read as YAML and checked for its kind; the label 'params' is reserved")
    func options() throws {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        func render(_ option: String, show: String = "false") throws -> RenderOutcome {
            let text = "---\nparams:\n  show: \(show)\n---\n```fpgm echo\n#| label: tbl-x\n#| \(option)\ntext: a\n```\n"
            let notebook = try Notebook(path: "x.md", text: text)
            return try runner.render(notebook, parameters: try Parameters(frontMatter: notebook.frontMatter, file: "x.md"), useCache: false)
        }
        func source(_ outcome: RenderOutcome) -> CellReport.SourceDisplay? {
            if case let .cell(cell) = outcome.document.blocks[0] { cell.sourceDisplay } else { nil }
        }
        let hidden = try render("echo: ${show}")
        #expect(source(hidden) == .hidden)
        #expect(hidden.diagnostics.isEmpty)  // the option's use counts: no "used by no cell" warning
        #expect(source(try render("echo: ${show}", show: "true")) == .folded)
        let wrong = #expect(throws: Diagnostic.self) { try render("echo: ${show}", show: "\"yes\"") }
        #expect(wrong?.description == "x.md:7:4: error: [tbl-x] echo: cell option 'echo' must be true or false (its parameters make it \"yes\")")
        let undefined = #expect(throws: Diagnostic.self) { try render("fold: ${shown}") }
        #expect(undefined?.description == "x.md:7:10: error: [tbl-x] echo: undefined parameter 'shown' (defined: show)")
        let reserved = #expect(throws: Diagnostic.self) { try Notebook(path: "x.md", text: "```fpgm echo\n#| label: params\ntext: a\n```\n") }
        #expect(reserved?.description == "x.md:2:4: error: echo: the label 'params' is reserved: {{params.name}} in prose names a parameter")
    }

    @Test("{{params.name}} in prose is the value as text, ${name} inside {{...}} is filled first, and an undefined name is found before any cell runs")
    func prose() throws {
        let runner = Runner(directives: [EchoDirective()], engineVersion: "test")
        func render(_ prose: String) throws -> RenderOutcome {
            let text = "---\nparams:\n  net: resnet56\n  cell: tbl-a\n---\n```fpgm echo\n#| label: tbl-a\ntext: hello\n```\n\n\(prose)\n"
            let notebook = try Notebook(path: "x.md", text: text)
            return try runner.render(notebook, parameters: try Parameters(frontMatter: notebook.frontMatter, file: "x.md"), useCache: false)
        }
        let outcome = try render("On {{params.net}}: {{${cell}.text}}, not `{{params.net}}`.")
        guard case let .prose(markdown, _) = outcome.document.blocks[1] else { Issue.record("no prose"); return }
        #expect(markdown == "\nOn resnet56: hello, not `{{params.net}}`.\n")
        #expect(outcome.diagnostics.isEmpty)  // both parameters count as used
        let unknown = #expect(throws: Diagnostic.self) { try render("On {{params.depth}}.") }
        #expect(unknown?.description == "x.md:11:4: error: '{{params.depth}}' names no parameter (defined: net, cell)")
        let inner = #expect(throws: Diagnostic.self) { try render("See {{${cel}.text}}.") }
        #expect(inner?.description == "x.md:11:7: error: undefined parameter 'cel' (defined: net, cell)")
    }

    @Test("${name} becomes the value as YAML; the names used are listed")
    func substitution() throws {
        var parameters = Parameters()
        try parameters.assign("arch=resnet56")
        try parameters.assign("rates=[0.3, 0.4]")
        try parameters.assign(#"note=say "hi""#)
        let (text, used) = try parameters.substitute(in: "arch: ${arch}\nrates: ${rates}\nnote: ${note}\nagain: ${arch}", firstLine: 5, file: "x.md")
        #expect(text == "arch: \"resnet56\"\nrates: [0.3, 0.4]\nnote: \"say \\\"hi\\\"\"\nagain: \"resnet56\"")
        #expect(used == ["arch", "rates", "note"])
        let parsed = try YAML.parse(text)
        #expect(parsed["note"]?.value == .string(#"say "hi""#))
    }

    @Test("an undefined or unclosed parameter is an error at its line and column")
    func errors() throws {
        var parameters = Parameters()
        try parameters.assign("depth=56")
        #expect(throws: Diagnostic(file: "x.md", line: 8, column: 8, label: "tbl-x", directive: "flops",
                                   message: "undefined parameter 'dept' (defined: depth)")) {
            try parameters.substitute(in: "archs: [x]\nrates: ${dept}", firstLine: 7, file: "x.md", label: "tbl-x", directive: "flops")
        }
        #expect(throws: Diagnostic.self) { try parameters.substitute(in: "a: ${depth", firstLine: 1, file: "x.md") }
        #expect(throws: Diagnostic.self) { try parameters.assign("no-equals") }
        #expect(throws: Diagnostic.self) { try parameters.assign("9lives=1") }
    }
}
