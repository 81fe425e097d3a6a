"""Write docs/workbook.md from the schema (pooling/schema.py), so the two never disagree."""

from pathlib import Path

from pooling.schema import markdown

if __name__ == "__main__":
    target = Path(__file__).resolve().parent / "workbook.md"
    target.write_text(markdown(), encoding="utf-8")
    print(target)
