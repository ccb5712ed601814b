import Testing
@testable import Notebook

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
