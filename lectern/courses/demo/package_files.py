"""The demo courses as course packages: folders of plain files under demo/packages/ (manifest.json, lessons/*.md,
quizzes/bank.gift, media/), the format of lectern.courses.packages, zipped in memory and read by its reader, so
that loading the demo checks the importer's side of the format as an upload would."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lectern.courses.packages.format import Limits, Package, read_package

FOLDER = Path(__file__).resolve().parent / "packages"


def zipped(slug: str) -> io.BytesIO:
    """The package in folder `slug` as a zip, its members named as in the folder (manifest.json first)."""
    root = FOLDER / slug
    files = sorted(path for path in root.rglob("*") if path.is_file())
    files.sort(key=lambda path: path.name != "manifest.json")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, path.relative_to(root).as_posix())
    buffer.seek(0)
    return buffer


def read(slug: str) -> Package:
    """The package in folder `slug`, read and checked; its media are unpacked into a folder the package owns
    (close it, or use it in a `with` block)."""
    return read_package(zipped(slug), Limits(), name=f"{slug}.zip")
