"""Checks Jupyter notebooks written by `fpgm render --to ipynb` with nbformat itself.

usage: python3 Tools/validate_ipynb.py NOTEBOOK.md REPORT.ipynb [NOTEBOOK.md REPORT.ipynb ...]

Each REPORT.ipynb must pass nbformat.validate (nbformat 4.5) and, read with nbformat, hold one code
cell per ```fpgm cell of NOTEBOOK.md, in order, each with a display_data output that has text/html.
Exits 1 naming the first report that does not.
"""
import re
import sys

import nbformat


def directive_cells(markdown_path):
    """The directives of the notebook's ```fpgm cells, in order (fences of three or more backticks)."""
    with open(markdown_path, encoding="utf-8") as handle:
        text = handle.read()
    return re.findall(r"^`{3,}fpgm[ \t]+(\S+)", text, flags=re.MULTILINE)


def check(markdown_path, report_path):
    notebook = nbformat.read(report_path, as_version=4)
    nbformat.validate(notebook)
    if (notebook.nbformat, notebook.nbformat_minor) != (4, 5):
        return f"{report_path}: nbformat {notebook.nbformat}.{notebook.nbformat_minor}, not 4.5"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    expected = directive_cells(markdown_path)
    found = [cell.metadata.get("fpgm", {}).get("directive") for cell in code]
    if found != expected:
        return f"{report_path}: code cells {found}, but {markdown_path} has the cells {expected}"
    for cell in code:
        html = [output for output in cell.outputs if output.output_type == "display_data" and "text/html" in output.data]
        if not html:
            return f"{report_path}: the code cell '{cell.id}' has no HTML output"
    return None


def main(arguments):
    if not arguments or len(arguments) % 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    pairs = list(zip(arguments[0::2], arguments[1::2]))
    for markdown_path, report_path in pairs:
        problem = check(markdown_path, report_path)
        if problem:
            print(problem, file=sys.stderr)
            return 1
    print(f"nbformat 4.5 validates the {len(pairs)} Jupyter notebooks, each with a code cell per directive cell")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
