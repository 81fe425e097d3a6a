"""Render a workbook the way LibreOffice prints it: a PDF, and PNG pages to look at.

    python spreadsheets/render.py results.xlsx [OUT_FOLDER]

Needs LibreOffice (`soffice`) and, for the PNG pages, poppler's `pdftoppm`. This is how
the result and comparison workbooks (tables, print set-up and native charts) are
checked to open and print cleanly outside Excel.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path


def to_pdf(workbook: Path, folder: Path, timeout: float = 180) -> Path:
    """Convert ``workbook`` to PDF in ``folder`` with headless LibreOffice; the PDF's path."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise FileNotFoundError("LibreOffice (soffice) is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:  # a private profile: runs never clash
        subprocess.run(
            [
                soffice,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(folder),
                str(workbook),
            ],
            check=True,
            capture_output=True,
            timeout=timeout,
        )
    pdf = folder / (workbook.stem + ".pdf")
    if not pdf.exists():
        raise RuntimeError(f"LibreOffice did not convert {workbook}")
    return pdf


def to_pngs(pdf: Path, resolution: int = 60) -> list[Path]:
    subprocess.run(["pdftoppm", "-r", str(resolution), "-png", str(pdf), str(pdf.with_suffix(""))], check=True)
    return sorted(pdf.parent.glob(pdf.stem + "-*.png"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workbook", type=Path)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("rendered"))
    args = parser.parse_args()
    pdf = to_pdf(args.workbook, args.folder)
    print(pdf)
    if shutil.which("pdftoppm"):
        for page in to_pngs(pdf):
            print(page)


if __name__ == "__main__":
    main()
