import Testing
@testable import Notebook

@Suite("Notebook cells")
struct NotebookCellsTests {
    @Test("fenced fpgm blocks become cells with their directive, source and line; other blocks stay prose")
    func cells() {
        let markdown = """
        # Title

        Some prose with `fpgm flops` inline.

        ```fpgm flops
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
        """
        let found = NotebookCells(parsing: markdown).cells
        #expect(found == [
            Cell(directive: "flops", source: "archs: [resnet20]\n", line: 5),
            Cell(directive: "norms", source: "layer: conv1\n", line: 13),
        ])
    }

    @Test("a bare fpgm fence has an empty directive; an empty notebook has no cells")
    func edges() {
        #expect(NotebookCells(parsing: "```fpgm\nx: 1\n```\n").cells == [Cell(directive: "", source: "x: 1\n", line: 1)])
        #expect(NotebookCells(parsing: "").cells.isEmpty)
    }
}
