import Testing
@testable import Notebook

@Suite("Notebook parsing")
struct NotebookTests {
    static let text = """
    ---
    title: Pruning
    params:
      depth: 56
    ---
    # Title

    Some prose with `fpgm flops` inline.

    ```fpgm flops
    #| label: tbl-flops
    #| caption: FLOPs
    archs: [resnet20]
    ```

    ```python
    print("not a cell")
    ```

    > ```fpgm norms
    > layer: conv1
    > ```

    ````text
    ```fpgm flops
    inside a longer fence: prose
    ```
    ````

    ```fpgm select
    rate: 0.4
    ```
    """

    @Test("front matter, cells with options and labels, and prose blocks by line")
    func parse() throws {
        let notebook = try Notebook(path: "notebooks/x.md", text: Self.text)
        #expect(notebook.frontMatter["title"]?.value == .string("Pruning"))
        #expect(notebook.frontMatter["params"]?["depth"] == YAMLNode(.int(56), line: 4))
        #expect(notebook.cells.map(\.directive) == ["flops", "select"])
        #expect(notebook.cells.map(\.label) == ["tbl-flops", "cell-2"])
        #expect(notebook.cells.map(\.line) == [10, 30])
        #expect(notebook.cells[0].options["caption"] == YAMLNode(.string("FLOPs"), line: 12))
        #expect(notebook.cells[0].arguments == "archs: [resnet20]\n")
        #expect(notebook.cells[0].argumentsLine == 13)
        #expect(notebook.cells[1].argumentsLine == 31)
        #expect(notebook.blocks == [.prose(lines: 6...9), .cell(index: 0), .prose(lines: 15...29), .cell(index: 1)])
    }

    @Test("syntax errors, unknown cell options and options of the wrong type name the notebook, line and column", arguments: [
        ("```fpgm flops\narchs: [resnet20]\n", "x.md:1:1: error: the fpgm cell opened here is never closed (a fence of ``` is missing)"),
        ("---\ntitle: [\n---\n", "x.md:3:1: error: front matter: did not find expected node content"),
        ("---\ntitle: x\n", "x.md:1:1: error: the front matter opened on line 1 is never closed with '---'"),
        ("```fpgm flops\n#| label: ../x\n```\n", "x.md:2:4: error: flops: a label may hold only letters, digits, '_' and '-'"),
        ("```fpgm flops\n#| label: a\n```\n\n```fpgm norms\n#| label: a\n```\n", "x.md:5:1: error: [a] the label 'a' is already used by the cell on line 1"),
        ("```fpgm flops\n#| label: [a\n```\n", "x.md:3:3: error: flops: cell options: did not find expected ',' or ']'"),
        ("```fpgm echo\n#| captoin: x\ntext: a\n```\n", "x.md:2:4: error: echo: unknown cell option 'captoin'; did you mean 'caption'? (known: allow-error, caption, echo, fold, label)"),
        ("```fpgm echo\n#| echo: maybe\ntext: a\n```\n", "x.md:2:4: error: echo: cell option 'echo' must be true or false"),
        ("```fpgm flops\n#|   label: ../x\n```\n", "x.md:2:6: error: flops: a label may hold only letters, digits, '_' and '-'"),
        ("  ```fpgm flops\n  #| label: a\n  ```\n\n   ```fpgm norms\n#| label: a\n```\n", "x.md:5:4: error: [a] the label 'a' is already used by the cell on line 1"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try Notebook(path: "x.md", text: text)
            Issue.record("parsed")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("labels are letters, digits, '_' and '-' only")
    func labels() {
        #expect(Cell.isValidLabel("fig-norms_2"))
        for bad in ["", "../x", "a b", "é", "a/b", "a.b"] { #expect(!Cell.isValidLabel(bad), "\(bad)") }
    }
}
