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
        ("archs: [resnet20]\nconvention: both\n", "x.md:4:1: error: [tbl-f] flops: argument 'convention' has the unknown value 'both' (known: paper, exact)"),
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

    @Test("fractions lie in [0, 1] and listed choices are known, both found at check time with the argument named", arguments: [
        ("rate: 1.5\n", "x.md:3:1: error: [tbl-p] prune: argument 'rate' must lie in [0, 1], got 1.5"),
        ("rates: [0.2, -0.1]\n", "x.md:3:1: error: [tbl-p] prune: argument 'rates' must lie in [0, 1], got -0.1"),
        ("rates: high\n", "x.md:3:1: error: [tbl-p] prune: argument 'rates' must be a list of numbers from 0 to 1"),
        ("criteria: [fpgm, l3]\n", "x.md:3:1: error: [tbl-p] prune: argument 'criteria' has the unknown value 'l3'; did you mean 'l2'? (known: fpgm, l2)"),
        ("arch: resnet57\n", "x.md:3:1: error: [tbl-p] prune: argument 'arch' has the unknown value 'resnet57'; did you mean 'resnet56'? (known: resnet20, resnet56)"),
        ("seed: -1\n", "x.md:3:1: error: [tbl-p] prune: argument 'seed' must be a non-negative integer"),
        ("seed: 1.5\n", "x.md:3:1: error: [tbl-p] prune: argument 'seed' must be a non-negative integer"),
    ])
    func ranges(text: String, message: String) throws {
        let prune = DirectiveSpec(name: "prune", summary: "pruning", arguments: [
            ArgumentSpec("rate", .fraction, default: .number(0.4), help: "rate"),
            ArgumentSpec("rates", .fractions, default: .numbers([0.4]), help: "rates"),
            ArgumentSpec("criteria", .choices(["fpgm", "l2"]), default: .strings(["fpgm"]), help: "criteria"),
            ArgumentSpec("arch", .choice(["", "resnet20", "resnet56"]), default: .string(""), help: "arch"),
            ArgumentSpec("seed", .count, default: .integer(0), help: "seed"),
        ])
        func parsed(_ arguments: String) throws -> (Cell, YAMLNode) {
            let notebook = try Notebook(path: "x.md", text: "```fpgm prune\n#| label: tbl-p\n\(arguments)```\n")
            return (notebook.cells[0], try YAML.parse(String(repeating: "\n", count: 2) + notebook.cells[0].arguments))
        }
        let (cell, node) = try parsed(text)
        do {
            _ = try prune.check(node, cell: cell, file: "x.md")
            Issue.record("accepted")
        } catch {
            #expect(error.description == message)
        }
        let (fineCell, fineNode) = try parsed("rate: 0\nrates: [1, 0.5]\ncriteria: l2\narch: resnet20\nseed: 7\n")
        let values = try prune.check(fineNode, cell: fineCell, file: "x.md")
        #expect(values == ["rate": .number(0), "rates": .numbers([1, 0.5]), "criteria": .strings(["l2"]), "arch": .string("resnet20"), "seed": .integer(7)])
    }

    @Test("suggestions: a prefix, or at most two edits")
    func suggestions() {
        #expect(Suggestion.nearest("rat", among: ["rates", "archs"]) == "rates")
        #expect(Suggestion.nearest("flosp", among: ["flops", "norms"]) == "flops")
        #expect(Suggestion.nearest("xyz", among: ["flops", "norms"]) == nil)
        #expect(Suggestion.editDistance("kitten", "sitting") == 3)
    }
}
