import Testing
@testable import Notebook

@Suite("Directive arguments")
struct DirectiveSpecTests {
    let flops = DirectiveSpec(name: "flops", summary: "FLOPs tables", arguments: [
        ArgumentSpec("archs", .strings, help: "architectures"),
        ArgumentSpec("rates", .numbers, default: .numbers([0.4]), help: "pruning rates"),
        ArgumentSpec("convention", .choice(["paper", "exact"]), default: .string("paper"), help: "counting convention"),
    ])

    func cell(_ arguments: String) throws -> (Cell, YAMLNode) {
        let notebook = try Notebook(path: "x.md", text: "```fpgm flops\n#| label: tbl-f\n\(arguments)```\n")
        return (notebook.cells[0], try YAML.parse(String(repeating: "\n", count: 2) + notebook.cells[0].arguments))
    }

    @Test("valid arguments are typed; absent ones take their defaults; a single value is a list of one")
    func valid() throws {
        let (cell, node) = try cell("archs: resnet56\nrates: [0.3, 0.4]\n")
        let values = try flops.check(node, cell: cell, file: "x.md")
        #expect(values == ["archs": .strings(["resnet56"]), "rates": .numbers([0.3, 0.4]), "convention": .string("paper")])
    }

    @Test("unknown, mistyped and missing arguments are named at their line", arguments: [
        ("archs: [resnet20]\nrate: 0.4\n", "x.md:4:1: error: [tbl-f] flops: unknown argument 'rate'; did you mean 'rates'? (valid: archs, rates, convention)"),
        ("archs: [resnet20]\nrates: fast\n", "x.md:4:1: error: [tbl-f] flops: argument 'rates' must be a list of numbers"),
        ("archs: [resnet20]\nconvention: both\n", "x.md:4:1: error: [tbl-f] flops: argument 'convention' must be one of paper, exact"),
        ("rates: [0.4]\n", "x.md:1:1: error: [tbl-f] flops: missing required argument 'archs'"),
        ("- a\n- b\n", "x.md:3:1: error: [tbl-f] flops: arguments must be a mapping of names to values"),
    ])
    func errors(text: String, message: String) throws {
        let (cell, node) = try cell(text)
        do {
            _ = try flops.check(node, cell: cell, file: "x.md")
            Issue.record("accepted")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("suggestions: a prefix, or at most two edits")
    func suggestions() {
        #expect(Suggestion.nearest("rat", among: ["rates", "archs"]) == "rates")
        #expect(Suggestion.nearest("flosp", among: ["flops", "norms"]) == "flops")
        #expect(Suggestion.nearest("xyz", among: ["flops", "norms"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }
}
