"""Fonts a consultant can edit: no Type 3 font in report.pdf (TrueType, embedded), and a
Japanese report set in the CJK family with its bold face for titles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import cxsim
from cxsim.outputs import report
from cxsim.outputs.charts.style import japanese_family

from .conftest import ROOT


def _fonts(pdf: Path) -> list[tuple[str, str]]:
    """(BaseFont, Subtype) of every font the pages use, through form XObjects too."""
    found: list[tuple[str, str]] = []

    def walk(resources: Any) -> None:
        resources = resources.get_object() if resources is not None else {}
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            found.append((str(font.get("/BaseFont", "")), str(font.get("/Subtype"))))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if "/Resources" in xobject:
                walk(xobject["/Resources"])

    for page in PdfReader(pdf).pages:
        walk(page.get("/Resources"))
    return found


@pytest.fixture(scope="module")
def japanese(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scenario, source = cxsim.load_with_source(ROOT / "scenarios" / "japan_ec.yaml")
    out = tmp_path_factory.mktemp("fonts") / "report"
    report.write_report(cxsim.simulate(scenario, runs=16, seed=1, source=source), None, out)
    return out / "report.pdf"


def test_no_type3_font(japanese: Path) -> None:
    fonts = _fonts(japanese)
    assert fonts
    assert not [f for f in fonts if f[1] == "/Type3"], fonts


def test_japanese_is_set_in_the_cjk_family_with_bold_titles(japanese: Path) -> None:
    family, bold = japanese_family()
    if not bold:
        pytest.skip(f"no Japanese font with a bold face installed (using {family})")
    names = {name.split("+")[-1].lstrip("/") for name, _ in _fonts(japanese)}
    stem = family.replace(" ", "")
    assert any(n.startswith(stem) and "Bold" not in n for n in names), names
    assert any(n.startswith(stem) and "Bold" in n for n in names), names
    assert not [n for n in names if n.startswith("IPAex")], names
