"""Write the generated parts of the docs from the schemas, so the two never disagree:
docs/workbook.md from the inputs' (pooling/schema.py), and the sheet reference in
docs/results.md (between its two ``generated`` markers) from the outputs'
(pooling/outputs.py)."""

from pathlib import Path

from pooling import outputs, schema

DOCS = Path(__file__).resolve().parent
BEGIN, END = "<!-- generated from pooling/outputs.py: begin -->", "<!-- generated from pooling/outputs.py: end -->"


def results_md(text: str) -> str:
    """``text`` (docs/results.md) with its generated block written afresh."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{outputs.markdown()}\n{END}{tail}"


if __name__ == "__main__":
    (DOCS / "workbook.md").write_text(schema.markdown(), encoding="utf-8")
    results = DOCS / "results.md"
    results.write_text(results_md(results.read_text(encoding="utf-8")), encoding="utf-8")
    print(DOCS / "workbook.md", results)
