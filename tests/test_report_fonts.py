"""Fonts a consultant can edit: no Type 3 font in report.pdf (TrueType, embedded), and a
Japanese report set in the CJK family with its bold face for titles."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from cxsim.outputs.charts.style import japanese_family

from .conftest import SHARED_REPORTS

pytestmark = pytest.mark.xdist_group(SHARED_REPORTS)


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
def japanese(cli_report: Any) -> Path:
    """A Japanese report with every kind of page: the comparison (P&L with outcomes, the
    intervention charts), the reconciliation with actuals and the tornado (`cxsim report` on
    the Japanese example, shared with the tests that read the same report)."""
    return cli_report("japan_ec.yaml") / "report.pdf"


def test_no_type3_font(japanese: Path) -> None:
    fonts = _fonts(japanese)
    assert fonts
    assert not [f for f in fonts if f[1] == "/Type3"], fonts


def _stem(name: str) -> str:
    return name.split("+")[-1].lstrip("/")


def test_every_japanese_text_run_is_set_in_the_cjk_family(japanese: Path) -> None:
    """No DejaVu (nor any other family) beside the CJK one, in report.pdf and in every chart's
    PDF: digits, punctuation and Latin letters share the Japanese design."""
    family, _ = japanese_family()
    stem = family.replace(" ", "")
    for pdf in [japanese, *sorted((japanese.parent / "charts").glob("*.pdf"))]:
        names = {_stem(name) for name, _ in _fonts(pdf)}
        assert names, pdf.name
        others = [n for n in names if not n.startswith(stem)]
        assert not others, f"{pdf.name}: {others}"


def _page_fonts(page: Any) -> set[str]:
    """The fonts a page's own text is set in (its content stream's Tf operators)."""
    by_key = {
        str(k): _stem(str(f.get_object().get("/BaseFont", "")))
        for k, f in (page["/Resources"].get_object().get("/Font") or {}).items()
    }
    data = page.get_contents().get_data().decode("latin-1")
    return {by_key[k] for k in re.findall(r"(/[^\s/]+)\s+[\d.]+\s+Tf", data) if k in by_key}


def test_titles_are_bold(japanese: Path) -> None:
    """Every page has a title, set in the CJK family's bold face."""
    family, bold = japanese_family()
    if not bold:
        pytest.skip(f"no Japanese font with a bold face installed (using {family})")
    stem = family.replace(" ", "")
    for n, page in enumerate(PdfReader(japanese).pages, 1):
        used = _page_fonts(page)
        assert any(f.startswith(stem) and "Bold" in f for f in used), (n, used)
        assert any(f.startswith(stem) and "Bold" not in f for f in used), (n, used)
