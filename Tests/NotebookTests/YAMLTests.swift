import Testing
@testable import Notebook

@Suite("YAML through libyaml")
struct YAMLTests {
    @Test("typed scalars, sequences and mappings in document order, with their lines")
    func values() throws {
        let node = try YAML.parse("""
        title: "FPGM"
        seed: 42
        rate: 0.4
        flag: true
        none: ~
        archs: [resnet20, resnet56]
        quoted: '7'
        params:
          depth: 56
        """)
        #expect(node["title"]?.value == .string("FPGM"))
        #expect(node["seed"]?.value == .int(42))
        #expect(node["rate"]?.value == .double(0.4))
        #expect(node["flag"]?.value == .bool(true))
        #expect(node["none"]?.value == .null)
        #expect(node["archs"]?.value == .sequence([YAMLNode(.string("resnet20"), line: 6), YAMLNode(.string("resnet56"), line: 6)]))
        #expect(node["quoted"]?.value == .string("7"))
        #expect(node["params"]?["depth"] == YAMLNode(.int(56), line: 9))
        guard case let .mapping(entries) = node.value else { Issue.record("not a mapping"); return }
        #expect(entries.map(\.key) == ["title", "seed", "rate", "flag", "none", "archs", "quoted", "params"])
    }

    @Test("nodes carry libyaml's columns: where each value starts and where its key does")
    func columns() throws {
        let node = try YAML.parse("a:\n  bb: [1, 22]\n  c:   x\n")
        let inner = try #require(node["a"])
        #expect(inner.column == 3 && inner.keyColumn == 1)
        let list = try #require(inner["bb"]), scalar = try #require(inner["c"])
        #expect(list.keyColumn == 3 && list.column == 7)
        guard case let .sequence(items) = list.value else { Issue.record("not a sequence"); return }
        #expect(items.map(\.column) == [8, 11])
        #expect(scalar.keyColumn == 3 && scalar.column == 8)
    }

    @Test("errors point at the line and column", arguments: [
        ("a: [1, 2\nb: 3\n", 2, "did not find expected ',' or ']'"),
        ("a: 1\na: 2\n", 2, "repeats the key 'a'"),
        ("a: &x 1\nb: *x\n", 1, "anchor"),
        ("a: !!python/object:os.system 1\n", 1, "tag"),
        ("--- 1\n--- 2\n", 2, "more than one YAML document"),
    ])
    func errors(text: String, line: Int, message: String) {
        do {
            _ = try YAML.parse(text)
            Issue.record("parsed")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("deep nesting is refused, not followed down the stack")
    func deep() {
        #expect(throws: YAMLError.self) { try YAML.parse(String(repeating: "[", count: 100_000)) }
        #expect(throws: YAMLError.self) { try YAML.parse(String(repeating: "- ", count: 1000) + "x") }
    }

    @Test("an empty text is null")
    func empty() throws {
        #expect(try YAML.parse("").value == .null)
    }
}
