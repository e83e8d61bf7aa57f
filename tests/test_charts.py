"""Charts: every chart renders for every example scenario, in English and Japanese, with no
warnings (a missing glyph is a warning, and pytest turns warnings into errors), and each plot
area holds a drawn chart, not a blank or an empty frame."""

from __future__ import annotations

import dataclasses
import io
import sys
from functools import cache
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import cxsim
from cxsim.formatting.money import format_count_compact, format_money_label, format_ticks
from cxsim.outputs import charts

from .conftest import SCENARIOS

#: One xdist worker runs the module, so that each example is simulated once (`simulated`).
pytestmark = pytest.mark.xdist_group("chart_examples")

RUNS = 64


@cache
def simulated(name: str) -> tuple[Any, Any, Any]:
    """(results, comparison or None, tornado or None) for an example scenario, cached."""
    scenario, source = cxsim.load_with_source(next(p for p in SCENARIOS if p.name == name))
    comparison = None
    if scenario.interventions:
        from cxsim.analysis.compare import compare

        # Two interventions and their combination. Ones that change the contact centre make
        # the SimPy support model run again (seconds each), and so does the search for the
        # best combination under a support section: leave those to the report tests.
        names = [
            iv.name
            for iv in scenario.interventions
            if not any(e.path.startswith("support") for e in iv.effects)
        ][:2]
        combined = getattr(scenario, "support", None) is None
        comparison = compare(
            scenario, runs=RUNS, seed=11, interventions=names, combined=combined, source=source
        )
        results = comparison.baseline
    else:
        results = cxsim.simulate(scenario, runs=RUNS, seed=11, source=source)
    from cxsim.analysis.sensitivity import tornado

    # A tornado of the SimPy support model takes seconds; the chart is the same for all.
    sensitivity = None if getattr(scenario, "support", None) else tornado(scenario)
    return results, comparison, sensitivity


def ink(fig: Figure) -> list[tuple[float, int]]:
    """Per axes: the share of non-background pixels in its plot area and its number of tones."""
    canvas = FigureCanvasAgg(fig)  # the pixels a PNG would hold, without writing one
    canvas.draw()
    img = np.asarray(canvas.buffer_rgba())[..., :3] / 255.0
    height = img.shape[0]
    out = []
    for ax in fig.axes:
        box = ax.get_window_extent()
        x0, x1 = int(box.x0) + 3, int(box.x1) - 3
        y0, y1 = height - int(box.y1) + 3, height - int(box.y0) - 3
        area = img[y0:y1, x0:x1]
        if area.size == 0:
            out.append((0.0, 0))
            continue
        drawn = (area < 0.97).any(axis=-1)
        q = (area.reshape(-1, 3) * 15).round().astype(int)  # 16 levels a channel
        tones = int(np.count_nonzero(np.bincount(q @ np.array([256, 16, 1]), minlength=4096)))
        out.append((float(drawn.mean()), tones))
    return out


def assert_drawn(fig: Figure, name: str) -> None:
    assert fig.axes, f"{name}: no axes"
    for i, (share, tones) in enumerate(ink(fig)):
        assert share > 0.015, f"{name}: plot area {i} is blank ({share:.1%} drawn)"
        assert tones >= 3, f"{name}: plot area {i} has {tones} tones"
    texts = [t.get_text() for t in fig.texts] + [ax.get_title(loc="left") for ax in fig.axes]
    assert any(t.strip() for t in texts), f"{name}: no title"


def _languages(path: Any) -> list[str]:
    """The scenario's own language, then the other one."""
    own = cxsim.load(path).language
    return [own, "en" if own == "ja" else "ja"]


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_chart_renders_for_every_example(path: Any) -> None:
    """All charts, the comparison's and the tornado included, in the scenario's language and in
    the other one, drawn as PNG; for the Japanese example also as SVG and PDF, whose font code
    differs, so a missing glyph in any backend fails."""
    results, comparison, tornado = simulated(path.name)
    expected = {
        "loss_distribution",
        "loss_waterfall",
        "loss_by_pathway",
        "customers_over_time",
        "indicators",
        "tornado",
    }
    if comparison is not None:
        expected |= {"intervention_value", "intervention_npv"}
    if tornado is None:
        expected -= {"tornado"}
    for language in _languages(path):
        figs = charts.all_charts(results, comparison, language=language, sensitivity=tornado)
        assert set(figs) == expected
        for name, fig in figs.items():
            assert isinstance(fig, Figure)
            assert_drawn(fig, f"{name} ({language})")
            if path.name == "japan_ec.yaml" and language == "ja":  # vector fonts, Japanese
                for fmt in ("svg", "pdf"):
                    fig.savefig(io.BytesIO(), format=fmt)


def test_the_blank_check_catches_a_blank_or_empty_chart() -> None:
    """The check above is not vacuous: an empty plot area, or one with a lone line, fails."""
    fig = Figure()
    fig.add_subplot()
    fig.text(0, 0, "title")
    with pytest.raises(AssertionError, match="blank"):
        assert_drawn(fig, "empty")
    results, _, _ = simulated("ecommerce.yaml")
    fig = charts.loss_by_pathway(results)
    for patch in list(fig.axes[0].patches):
        patch.remove()
    for artist in [*fig.axes[0].collections, *fig.axes[0].lines, *fig.axes[0].texts]:
        artist.remove()  # the bars' whiskers and value labels too
    with pytest.raises(AssertionError, match="blank"):
        assert_drawn(fig, "no bars")


def test_a_missing_glyph_would_fail_the_tests() -> None:
    """Without cxsim's font set-up, Japanese text warns about missing glyphs (an error here)."""
    fig = Figure()
    fig.add_subplot().set_title("配送遅延")
    with (
        matplotlib.rc_context({"font.family": ["DejaVu Sans"]}),
        pytest.raises(UserWarning, match="missing from font"),
    ):
        fig.savefig(io.BytesIO(), format="png")


def test_japanese_names_with_english_labels_and_japanese_labels() -> None:
    results, comparison, _ = simulated("japan_ec.yaml")
    en = charts.loss_waterfall(results, language="en")
    ja = charts.loss_waterfall(results)  # the scenario says language: ja
    ticks = [t.get_text() for t in en.axes[0].get_yticklabels()]
    assert any("配送遅延" in t for t in ticks) and any("返品対応" in t for t in ticks)
    assert any("of the lost margin" in t.get_text() for t in en.texts)  # a finding
    assert any("逸失粗利" in t.get_text() for t in ja.texts)
    assert "円" in ja.axes[0].get_xticklabels()[1].get_text()  # 2.5億円
    assert "億" in "".join(t.get_text() for t in ja.axes[0].get_xticklabels())
    npv = charts.intervention_npv(comparison)
    assert any("回収確率" in t.get_text() for t in npv.axes[0].texts)


def test_charts_leave_global_state_alone() -> None:
    """No pyplot figures, no changed rcParams, and matplotlib-fontja never imported (its import
    switches every plot of the session to its font)."""
    before = dict(matplotlib.rcParams)
    results, comparison, tornado = simulated("subscription.yaml")
    charts.all_charts(results, comparison, sensitivity=tornado)
    assert dict(matplotlib.rcParams) == before
    assert "matplotlib_fontja" not in sys.modules
    if "matplotlib.pyplot" in sys.modules:
        assert not sys.modules["matplotlib.pyplot"].get_fignums()


def test_chart_pdfs_embed_fonts_without_layout_tables(tmp_path: Any) -> None:
    """A chart's PDF embeds its fonts without GSUB/GPOS (a PDF positions every glyph; issue
    17: subsetting them was a fifth of a report's time) and with their BMP cmap alone; its text
    still reads back, and fontTools' defaults are as they were afterwards, for anyone else's
    PDFs."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    before, load = list(subset.Options._drop_tables_default), subset.load_font
    results, _, _ = simulated("ecommerce.yaml")
    charts.save(charts.loss_by_pathway(results), tmp_path / "chart.pdf")
    assert subset.Options._drop_tables_default == before and subset.load_font is load
    page = PdfReader(tmp_path / "chart.pdf").pages[0]
    assert "of the lost margin" in " ".join(page.extract_text().split())
    fonts = [
        font["/DescendantFonts"][0].get_object()["/FontDescriptor"]["/FontFile2"].get_data()
        for font in page["/Resources"]["/Font"].values()
        if "/DescendantFonts" in font.get_object()
    ]
    assert fonts
    for data in fonts:
        tables = set(TTFont(io.BytesIO(data)).keys())
        assert {"glyf", "cmap", "hmtx"} <= tables
        assert not tables & {"GSUB", "GPOS", "GDEF"}
        # the BMP map alone: the font's larger Unicode map was left unread
        assert {t.format for t in TTFont(io.BytesIO(data))["cmap"].tables} == {4}


def test_a_font_without_glyph_names_is_subset_without_reading_its_whole_cmap() -> None:
    """BIZ UDPGothic stores no glyph names (post table format 3): fontTools would make them up
    from its whole cmap (12,000 characters and 10,000 variation sequences beside the BMP map).
    Inside `lean_subsets` it is named by glyph number and keeps its BMP map alone, and a subset
    still maps its characters to the glyphs kept."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    from cxsim.outputs.charts.pdf_fonts import lean_subsets
    from cxsim.outputs.charts.style import japanese_family

    path = font_manager.findfont(japanese_family()[0])
    with TTFont(path, lazy=True) as plain:
        if plain["post"].formatType != 3:
            pytest.skip(f"{path} stores its glyph names (BIZ UDPGothic is not installed)")
        gid = plain.getGlyphID(plain["cmap"].getBestCmap()[ord("損")])
    with lean_subsets(), subset.load_font(path, subset.Options()) as font:
        assert font.getGlyphName(gid) == f"glyph{gid:05d}"  # not uni640D, from the cmap
        assert {t.format for t in font["cmap"].tables} == {4}
        subsetter = subset.Subsetter()
        subsetter.populate(gids=[gid])
        subsetter.subset(font)
        kept = font["cmap"].getBestCmap()
        assert font.getGlyphID(kept[ord("損")]) == subsetter.glyph_index_map[gid]


def test_a_chart_saved_in_several_formats_is_laid_out_once(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving a chart as PNG, SVG and PDF lays it out once, for the PNG (laying out measures
    every label); the others keep that layout, and the chart's own engine resumes after."""
    results, _, _ = simulated("ecommerce.yaml")
    fig = charts.loss_by_pathway(results)
    engine = fig.get_layout_engine()
    calls: list[Figure] = []
    execute = type(engine).execute
    counted = lambda self, f: calls.append(f) or execute(self, f)  # noqa: E731
    monkeypatch.setattr(type(engine), "execute", counted)
    paths = [tmp_path / f"chart.{fmt}" for fmt in ("png", "svg", "pdf")]
    charts.save(fig, paths)
    assert len(calls) == 1 and all(p.stat().st_size > 10_000 for p in paths)
    assert fig.get_layout_engine() is engine
    charts.save(fig, tmp_path / "alone.pdf")  # one format: laid out as before
    assert len(calls) == 2


def test_a_chart_can_draw_into_a_notebook_axes() -> None:
    results, _, _ = simulated("ecommerce.yaml")
    fig = Figure(figsize=(14, 5), layout="constrained")
    left, right = fig.subplots(1, 2)
    assert charts.loss_by_pathway(results, ax=left) is fig
    assert charts.loss_distribution(results, ax=right) is fig
    assert "of the lost margin" in left.get_title(loc="left")
    assert_drawn(fig, "two panels")


def test_indicator_panels_follow_the_data() -> None:
    """Response time is left out while it is all NaN, and shown once it has data."""
    results, _, _ = simulated("ecommerce.yaml")
    assert np.isnan(results.periods["response_hours"]).all()
    assert len(charts.indicators(results).axes) == 3
    hours = np.full_like(results.periods["nps"], 9.5)
    with_support = dataclasses.replace(
        results, periods={**results.periods, "response_hours": hours}
    )
    fig = charts.indicators(with_support)
    assert len(fig.axes) == 4
    assert_drawn(fig, "indicators with response time")


def test_tornado_takes_a_table_or_a_tornado() -> None:
    table = pd.DataFrame(
        {
            "input": ["loss_tree.defection.silent.minor", "Late delivery: failure_rate"],
            "low": [9e6, 9.5e6],
            "high": [12e6, 11e6],
            "swing": [3e6, 1.5e6],
        }
    )
    fig = charts.tornado(table, 10e6, currency="EUR")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["Defection: silent customers, minor failure", "Late delivery: failure rate"]
    assert any("€10.0M" in t.get_text() for t in fig.texts)  # the bars' unit
    assert_drawn(fig, "tornado from a table")
    fig = charts.tornado(table.set_index("input"), 1e7)  # as Tornado.to_df() gives it
    assert len(fig.axes[0].patches) == 4
    with pytest.raises(ValueError, match="swing"):
        charts.tornado(table.drop(columns="swing"), 10e6)


def test_long_names_are_wrapped() -> None:
    name = "All together: Make complaining easy + Live chat + Personalised onboarding + Set "
    name += "expectations right + Verify resolution + Act on feedback"
    wrapped = charts.wrap_label(name)
    assert all(len(line) <= 32 for line in wrapped.split("\n"))
    assert " ".join(wrapped.split()) == name  # wrapped, never cut
    assert charts.wrap_label(name, lines=3).endswith("…")  # cut only where asked
    assert (
        charts.wrap_label("返品手続きの簡素化と配送状況の通知と商品説明の改善", 20).count("\n") == 2
    )


def test_money_and_count_labels() -> None:
    assert format_ticks([0, 5e6, 1e7, 1.5e7], "EUR") == ["€0", "€5M", "€10M", "€15M"]
    assert format_ticks([0, 2.5e6, 5e6], "USD") == ["$0", "$2.5M", "$5.0M"]
    assert format_ticks([-1e6, 0, 1e6], "USD") == ["\u2212$1M", "$0", "$1M"]
    # one unit per axis, from its largest value, in Japanese too
    assert format_ticks([0, 5e7, 1e8, 1.5e8], "JPY", "ja") == [
        "0円",
        "0.5億円",
        "1.0億円",
        "1.5億円",
    ]
    assert format_ticks([0, 200, 400], "JPY") == ["¥0", "¥200", "¥400"]
    assert format_ticks([0, 2000, 10000, 12000], None, "ja") == ["0", "0.2万", "1.0万", "1.2万"]
    # English reports of yen scenarios in English units
    assert format_ticks([0, 5e7, 1e8], "JPY") == ["¥0", "¥50M", "¥100M"]
    assert format_ticks([1e5, 2.5e5], None) == ["100k", "250k"]
    assert format_money_label(985_700, "EUR") == "€986k"
    assert format_money_label(6.13e6, "USD") == "$6.1M"
    assert format_money_label(12_000, "USD") == "$12k"
    assert format_money_label(3.456e7, "JPY", "ja") == "3,456万円"
    assert format_money_label(3.456e7, "USD", "ja") == "$3,456万"  # 円 only for yen
    assert format_money_label(1234.5, "JPY") == "¥1.2k"  # English units for yen
    assert format_count_compact(340_000) == "340k"
    assert format_count_compact(340_000, "ja") == "34万"


def test_one_unit_per_table_and_english_units_for_yen() -> None:
    from cxsim.formatting.money import format_money, money_range, shared_unit

    fmt = shared_unit([7.969e7, 1.2e8], "JPY", "ja")
    assert [fmt(7.969e7), fmt(1.2e8)] == ["0.8億円", "1.2億円"]
    assert shared_unit([4e5, 1.5e7], "USD")(4e5) == "$0.4M"
    assert format_money_label(1.2e8, "JPY") == "¥120M"
    assert format_money_label(1.2e8, "JPY", language="ja") == "1.2億円"
    # an interval in one unit, with the Japanese wave dash
    assert money_range(6.361e7, 2e8, "JPY", "ja") == "0.6億円〜2.0億円"
    assert money_range(6.361e7, 2e8, "JPY") == "¥64M–¥200M"
    assert money_range(4e5, 9e5, "USD", mean=1.5e6) == "$0.4M–$0.9M"
    assert format_money(7.969e7, "JPY") == "¥79.7M"
    assert "万" not in format_money_label(79_690_000, "JPY", language="en")
