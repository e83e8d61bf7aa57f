"""The Python API forgives the obvious: paths for scenarios, one name for a list, and tables and
reprs a notebook reader can read."""

from __future__ import annotations

from pathlib import Path

import pytest

import cxsim
from cxsim.analysis.calibration import reconcile
from cxsim.analysis.compare import intervention_sets
from cxsim.analysis.sensitivity import tornado
from cxsim.engine.simulation import summarise
from cxsim.errors import ScenarioError, ScenarioWarning, UserError
from cxsim.model.lint import lint
from cxsim.outputs.formats import check_extension

ROOT = Path(__file__).resolve().parent.parent
SUBSCRIPTION = ROOT / "scenarios" / "subscription.yaml"


@pytest.fixture(scope="module")
def scenario() -> cxsim.Scenario:
    return cxsim.load(SUBSCRIPTION)


@pytest.mark.parametrize("path", [SUBSCRIPTION, str(SUBSCRIPTION)])
def test_expected_accepts_a_path_and_records_its_source(path: str | Path, scenario) -> None:
    from_path = cxsim.expected(path)
    assert from_path.scenario == scenario
    assert from_path.source is not None and from_path.source.name == str(SUBSCRIPTION)
    assert from_path.stats("lost_revenue") == cxsim.expected(scenario).stats("lost_revenue")


def test_simulate_and_summarise_accept_a_path(scenario) -> None:
    a = cxsim.simulate(str(SUBSCRIPTION), runs=8, seed=3, keep_periods=False)
    b = cxsim.simulate(scenario, runs=8, seed=3, keep_periods=False)
    assert (a.metric("lost_revenue") == b.metric("lost_revenue")).all()
    s = summarise(SUBSCRIPTION, runs=8, seed=3)
    assert s.stats("lost_revenue")["mean"] == pytest.approx(b.stats("lost_revenue")["mean"])


def test_tornado_accepts_a_path(scenario) -> None:
    assert tornado(SUBSCRIPTION).to_frame().equals(tornado(scenario).to_frame())


@pytest.mark.parametrize("verb", [cxsim.simulate, cxsim.expected, cxsim.compare, tornado])
def test_anything_else_is_a_type_error_naming_load(verb) -> None:
    with pytest.raises(TypeError, match=r"cxsim\.load"):
        verb({"name": "not a scenario"})


def test_a_single_intervention_name_is_a_list_of_one(scenario) -> None:
    name = scenario.interventions[1].name
    (one,) = intervention_sets(scenario, name)
    assert one.name == name
    assert intervention_sets(scenario, name) == intervention_sets(scenario, [name])


def test_compare_accepts_a_single_name(scenario) -> None:
    name = scenario.interventions[1].name
    comparison = cxsim.compare(scenario, runs=4, seed=1, interventions=name)
    assert [o.name for o in comparison.outcomes] == [name]
    assert comparison.options["interventions"] == [name]


def test_an_intervention_named_twice_is_refused(scenario) -> None:
    name = scenario.interventions[0].name
    with pytest.raises(UserError, match="named more than once: 'Make complaining easy'"):
        cxsim.compare(scenario, runs=4, seed=1, interventions=[name, name])


@pytest.fixture(scope="module")
def results(scenario) -> cxsim.Results:
    return cxsim.simulate(scenario, runs=20, seed=1, keep_periods=False)


def test_summary_keeps_raw_numbers_and_formats_on_request(results) -> None:
    raw = results.summary()
    assert raw.loc["lost_revenue", "mean"] == results.stats("lost_revenue")["mean"]
    shown = results.summary(formatted=True)
    assert shown.equals(results.display())
    # The subscription scenario counts margin, in US dollars.
    assert shown.loc["lost margin", "mean"] == f"${raw.loc['lost_revenue', 'mean']:,.0f}"
    assert shown.loc["customers lost to failures", "mean"] == (
        f"{raw.loc['customers_lost', 'mean']:,.0f}"
    )
    assert shown.loc["churn per month, all causes", "mean"].endswith("%")


@pytest.mark.parametrize("by", ["touchpoint", "stage", "pathway"])
def test_display_attribution_is_sorted_by_loss_like_the_cli(results, by: str) -> None:
    raw = results.attribution_table(by)
    shown = results.attribution_table(by, formatted=True)
    expected = [str(i).replace("_", " ") for i in raw.sort_values("mean", ascending=False).index]
    assert list(shown.index) == expected
    in_cli = [line.split("  ")[1].strip() for line in _section(results.text(), by)]
    assert [name for name in expected if name in in_cli] == in_cli
    top = raw["mean"].idxmax()
    assert shown.iloc[0]["share"] == f"{raw.loc[top, 'share']:.1%}"
    assert shown.iloc[0]["mean"].startswith("$")


def _section(text: str, by: str) -> list[str]:
    """The rows of one 'By ...:' section of the CLI's text."""
    lines = text.splitlines()
    start = lines.index(f"By {by}:") + 1
    end = lines.index("", start) if "" in lines[start:] else len(lines)
    return lines[start:end]


def test_the_text_tables_line_up_in_japanese() -> None:
    """Japanese names and 億円 amounts take two columns a character in a terminal: the tables of
    the CLI's text (the summary, its reconciliation, a tornado) pad by display width, so each
    column ends in the same place on every row."""
    from cxsim.formatting.tables import text_width

    scenario = cxsim.load(ROOT / "scenarios" / "japan_ec.yaml")
    text = cxsim.expected(scenario).text()
    for by in ("touchpoint", "stage", "pathway"):
        rows = _section(text, by)
        assert len(rows) > 2 and any(text_width(r) > len(r) for r in rows), rows
        money_ends = {text_width(r[: r.rindex("円") + 1]) for r in rows}
        assert len(money_ends) == 1 and len({text_width(r) for r in rows}) == 1, "\n".join(rows)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Cost of poor experience"))
    pnl = lines[start : lines.index("", start)]
    assert len(pnl) >= 4 and len({text_width(line) for line in pnl}) == 1, "\n".join(pnl)
    fits = [r for r in reconcile(scenario).text().splitlines() if "observed" in r]
    assert len(fits) > 2 and len({text_width(r[: r.index("observed")]) for r in fits}) == 1
    bars = [r for r in tornado(scenario).text().splitlines() if r.endswith("█")]
    assert len(bars) > 5 and len({text_width(r[: r.rindex("円") + 1]) for r in bars}) == 1


def test_summary_and_results_use_the_same_words_for_the_loss(scenario, results) -> None:
    summary = summarise(scenario, runs=20, seed=1)
    assert results.loss_words == summary.loss_words == "lost margin"
    assert "lost margin $" in repr(results) and "lost margin $" in repr(summary)
    assert "lost revenue" not in repr(summary)
    assert results.text().splitlines()[3].startswith("Lost margin from experience failures")


def test_every_result_has_an_html_repr(scenario, results) -> None:
    summary = summarise(scenario, runs=20, seed=1)
    comparison = cxsim.compare(scenario, runs=4, seed=1, interventions="Live chat")
    staffing = cxsim.staffing(120, 240, agents=8, replications=2, hours=1, warmup_hours=0.5)
    for result in (results, summary, comparison, staffing, tornado(scenario)):
        page = result._repr_html_()
        assert page.startswith("<p><strong>") and "<table" in page
    assert "Live chat" in comparison._repr_html_() and "$" in comparison.display().iloc[0, 0]


def test_an_effect_beyond_its_range_is_warned_about_and_says_it_is_clipped(scenario) -> None:
    """Someone meaning "30% fewer failures" writes scale: 30 on a failure rate."""
    with pytest.warns(ScenarioWarning) as caught:
        cxsim.modify(scenario, {"interventions[Live chat].effects[1].scale": 30})
    (message,) = [str(w.message) for w in caught]
    assert "intervention 'Live chat', effect 2 on Help request unanswered: failure_rate" in message
    assert "outside its range (0 to 1); it is clipped to 1" in message
    assert message.endswith("For 30% less, write scale: 0.7")


def test_effects_within_range_are_not_warned_about(scenario) -> None:
    assert lint(scenario) == []
    assert lint(cxsim.modify(scenario, {"interventions[Live chat].effects[1].scale": 0.7})) == []
    # Below its range an effect is refused at validation (cxsim.model.checks); above a
    # probability's it is said and clipped.
    with pytest.raises(ScenarioError, match="refused rather than clipped"):
        cxsim.modify(scenario, {"interventions[Live chat].effects[0].add": -0.9})
    with pytest.warns(ScenarioWarning):
        changed = cxsim.modify(scenario, {"interventions[Live chat].effects[0].add": 0.9})
    (message,) = lint(changed)
    assert "at its high end" in message and "clipped to 1" in message


@pytest.mark.parametrize(
    ("path", "fmt", "says"),
    [
        ("book.xlsx", "xlsx", None),
        ("out/BOOK.XLSX", "xlsx", None),
        ("book.csv", "xlsx", "the name says a CSV file, but a XLSX file is written"),
        ("book", "xlsx", "has no extension"),
        ("chart.jpg", "png", "the name says a '.jpg' file"),
    ],
)
def test_an_extension_that_does_not_match_its_format(path: str, fmt: str, says) -> None:
    message = check_extension(path, fmt)
    assert message is None if says is None else says in message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "currency: USD",
            "currency: usd",
            "10:13: economics.currency: must be a three-letter currency code in capitals "
            "(ISO 4217, such as USD, EUR or JPY), got 'usd'",
        ),
        (
            "horizon: 36",
            "horizon: 36.5",
            "12:12: economics.horizon: must be a whole number, got 36.5",
        ),
        (
            "lifetime: false",
            "lifetime: maybe",
            "economics.lifetime: must be true or false, got 'maybe'",
        ),
        ("currency: USD", "currency: USD\n\tperiod: month", "11:1: not valid YAML: a tab: indent"),
        ("name: StreamCo", "name: [StreamCo", "not valid YAML: a list in [ ] is not closed"),
        ("currency: USD", "currency: USD\n  bad: : x", "not valid YAML: a ':' where no key can"),
    ],
)
def test_validation_messages_are_in_the_users_words(old: str, new: str, message: str) -> None:
    text = SUBSCRIPTION.read_text(encoding="utf-8")
    assert old in text
    with pytest.raises(cxsim.ScenarioError) as caught:
        cxsim.loads(text.replace(old, new, 1), "s.yaml")
    shown = str(caught.value)
    assert message in shown
    for jargon in ("string should match", "valid integer", "input should", "scanning", "token"):
        assert jargon not in shown


def _properties(schema: dict) -> list[tuple[str, str, dict]]:
    """(model, property, its schema) for every property of every model in the schema."""
    models = {"Scenario": schema, **schema["$defs"]}
    return [
        (model, name, prop)
        for model, d in models.items()
        for name, prop in d.get("properties", {}).items()
    ]


def test_every_schema_property_has_a_description() -> None:
    props = _properties(cxsim.scenario_schema())
    assert len(props) > 100
    missing = [f"{model}.{name}" for model, name, prop in props if not prop.get("description")]
    assert missing == []


def test_the_schema_accepts_the_example_scenarios_and_is_compact() -> None:
    """Editors validate with it: bare numbers and distributions are both numbers."""
    import json

    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = cxsim.scenario_schema()
    text = json.dumps(schema, indent=2)
    # Compact: each distribution is defined once and referenced, never repeated inline (the
    # schema was 2,162 lines when every number repeated the eight distributions).
    assert text.count('"const": "pert"') == 1
    # The cost side (`costs:`, issue 14) added about 110 lines of its own fields; promoters
    # and smaller wallets (issue 14) about 110 more.
    assert len(text.splitlines()) < 1900
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert list(validator.iter_errors(data)) == [], path.name
    bad = yaml.safe_load(SUBSCRIPTION.read_text(encoding="utf-8"))
    bad["economics"]["horizon"] = "soon"
    assert list(validator.iter_errors(bad))
