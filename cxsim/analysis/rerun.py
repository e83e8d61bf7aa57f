"""Reproduce a recorded result from its provenance and check every number.

A results document holds the scenario's full text, the `--set` overrides, the seed, the number
of runs, the options and the versions that produced it. `rerun` reads its kind, rebuilds the
scenario from that text, runs it again the same way and compares every number of the new
document with the recorded one. Documents it reproduces:

    monte_carlo           `cxsim run --json`, the results.json of `cxsim run --out`
    monte_carlo_summary   the same above `cxsim run`'s kept-runs limit (statistics only)
    expected              `cxsim run --expected`
    comparison            `cxsim compare --json` (recognised by its shape when it has no kind)
    report                the results.json of `cxsim report`: a monte_carlo document with its
                          "comparison" and "sensitivity" blocks, each reproduced
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy

from cxsim._version import __version__
from cxsim.analysis.compare import COMBINATION_LABELS, Comparison, compare
from cxsim.analysis.portfolio import SET_LABELS
from cxsim.engine.results import Results
from cxsim.engine.rounding import cpu_kind, within_rounding
from cxsim.engine.simulation import expected, simulate, summarise
from cxsim.engine.summary import Summary
from cxsim.errors import ScenarioError, UserError
from cxsim.model.loader import Source, loads
from cxsim.model.scenario import Scenario
from cxsim.protocol import Result

#: Libraries whose version decides the numbers; a rerun under other versions is refused.
VERSIONED = {"cxsim": __version__, "numpy": np.__version__, "scipy": scipy.__version__}
#: Recorded facts that are not results (who ran it, where): not compared, at the top of a
#: document or of a report's comparison block.
NOT_COMPARED = {"provenance", "cxsim_version"}
#: Differences `text()` lists before it says how many more there are.
SHOWN = 20
#: What each kind of document is, as people read it.
DESCRIPTIONS = {
    "monte_carlo": "monte carlo",
    "monte_carlo_summary": "monte carlo (statistics only)",
    "expected": "expected-value model",
    "comparison": "comparison of interventions",
    "report": "report (monte carlo, comparison and sensitivity)",
}


@dataclass(frozen=True, repr=False)
class Reproduction(Result):
    """What a rerun found: how many values were checked and which differ (path, recorded, now)."""

    kind: ClassVar[str] = "rerun"

    name: str
    document_kind: str
    recorded: dict[str, Any]
    fresh: dict[str, Any]
    checked: int
    differences: list[tuple[str, Any, Any]] = field(default_factory=list)
    #: Values that came back up to rounding only, from a document made on another kind of CPU.
    rounded: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def reproduced(self) -> bool:
        """True when every recorded value came back: exactly, or on another kind of CPU than
        the one that made the document, up to its rounding (listed in `rounded`)."""
        return not self.differences

    def to_frame(self) -> pd.DataFrame:
        """One row per value that differs: recorded and now."""
        rows = [{"path": p, "recorded": a, "now": b} for p, a, b in self.differences]
        return pd.DataFrame(rows, columns=["path", "recorded", "now"]).set_index("path")

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `cxsim rerun --json`."""
        return {
            "kind": self.kind,
            "file": self.name,
            "document_kind": self.document_kind,
            "seed": self.recorded.get("seed"),
            "runs": self.recorded.get("runs"),
            "versions": VERSIONED,
            "reproduced": self.reproduced,
            "exactly": self.reproduced and not self.rounded,
            "checked": self.checked,
            "differences": [{"path": p, "recorded": a, "now": b} for p, a, b in self.differences],
            "rounded": [{"path": p, "recorded": a, "now": b} for p, a, b in self.rounded],
            "cpu": {"recorded": self.recorded["provenance"].get("cpu"), "now": cpu_kind()},
        }

    def text(self) -> str:
        """What `cxsim rerun` prints: what was rerun, then reproduced or the differences."""
        lines = [f"rerun of {self.name}: {describe_run(self.recorded, self.document_kind)}"]
        if self.reproduced and not self.rounded:
            lines.append(f"reproduced exactly: all {self.checked} values match")
            return "\n".join(lines) + "\n"
        if self.reproduced:
            lines.append(
                f"reproduced up to rounding: all {self.checked} values match, "
                f"{len(self.rounded)} of them in all but the last digits"
            )
            lines.append(f"  {self._cpus()}")
            return "\n".join(lines) + "\n"
        lines.append(f"NOT reproduced: {len(self.differences)} of {self.checked} values differ")
        if self.recorded.get("scenario_sha256") != self.fresh.get("scenario_sha256"):
            lines.append(
                "  the scenario text no longer matches its recorded SHA-256: "
                "the document was edited after it was written"
            )
        if self.rounded:
            last = f"{len(self.rounded)} more differ in their last digits only"
            lines.append(f"  {last}: {self._cpus()}")
        for path, old, new in self.differences[:SHOWN]:
            lines.append(f"  {path}: recorded {_show(old)}, now {_show(new)}{_change(old, new)}")
        if len(self.differences) > SHOWN:
            lines.append(f"  ... and {len(self.differences) - SHOWN} more (--json lists them all)")
        return "\n".join(lines) + "\n"

    def _cpus(self) -> str:
        """Why last digits may differ: the document was made on another kind of CPU."""
        made = self.recorded["provenance"].get("cpu")
        where = f"made on {made}" if made else "made on a CPU the document does not record"
        worst = max(_relative(a, b) for _, a, b in self.rounded)
        return (
            f"the document was {where}, this is {cpu_kind()}; numpy and OpenBLAS round "
            f"differently on each (at most {worst:.1e} relative here)"
        )

    def __repr__(self) -> str:
        state = "reproduced" if self.reproduced else f"{len(self.differences)} differences"
        what = f"{self.name} ({self.document_kind})"
        return f"<Reproduction of {what}: {state}, {self.checked} values checked>"


def rerun(document: str | Path | Mapping[str, Any], *, workers: int | None = None) -> Reproduction:
    """Repeat the run recorded in a results document (a path, or the document as a dict).

    Raises `UserError` when the document cannot be rerun here: it is not a results document,
    its scenario does not load, or it was made with other versions of cxsim, numpy or scipy.
    `workers` (None: all cores) does not change the numbers.
    """
    if isinstance(document, Mapping):
        name, recorded = "<document>", check_document(dict(document), "<document>")
    else:
        name = str(document)
        recorded = read_document(Path(document))
    kind = document_kind(recorded, name)
    check_versions(recorded["provenance"], name)
    fresh = repeat(recorded, kind, name, workers)
    # bit for bit on the kind of CPU that made it; elsewhere up to that CPU's rounding
    same_cpu = recorded["provenance"].get("cpu") == cpu_kind()
    checked, found = compare_documents(recorded, fresh)
    differences: list[tuple[str, Any, Any]] = []
    rounded: list[tuple[str, Any, Any]] = []
    for d in found:
        (differences if same_cpu or not within_rounding(d[1], d[2]) else rounded).append(d)
    return Reproduction(name, kind, recorded, fresh, checked, differences, rounded)


def read_document(path: Path) -> dict[str, Any]:
    """The recorded document, or a `UserError` saying why it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a cxsim results document (not UTF-8 text)") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(
            f"{path}:{exc.lineno}:{exc.colno}: not a cxsim results document (not JSON: {exc.msg})"
        ) from None
    return check_document(doc, str(path))


def check_document(doc: Any, name: str) -> dict[str, Any]:
    """`doc` if it records what a rerun needs, else a `UserError` saying what it lacks."""
    provenance = doc.get("provenance") if isinstance(doc, dict) else None
    if not isinstance(provenance, dict):
        raise UserError(
            f"{name}: not a cxsim results document (it has no 'provenance'); rerun takes the "
            "output of `cxsim run --json`, the results.json of `cxsim run --out` or of "
            "`cxsim report`, or the output of `cxsim compare --json`"
        )
    if not isinstance(provenance.get("scenario_text"), str):
        raise UserError(
            f"{name}: the document does not hold the scenario's text (it was made from a "
            "Scenario built in Python, not from a file), so it cannot be rerun"
        )
    return dict(doc)


def document_kind(doc: Mapping[str, Any], name: str) -> str:
    """One of `DESCRIPTIONS`: the document's kind, or its shape for older documents."""
    kind = doc.get("kind")
    if kind == "comparison" or (kind is None and "interventions" in doc and "baseline" in doc):
        return "comparison"
    if kind == "monte_carlo" and ("comparison" in doc or "sensitivity" in doc):
        return "report"
    if kind not in REPEAT:
        raise UserError(f"{name}: not a cxsim results document (unknown kind {kind!r})")
    return str(kind)


def check_versions(provenance: Mapping[str, Any], name: str) -> None:
    """Refuse, saying which, when the recorded versions are not the running ones."""
    missing = [lib for lib in ("cxsim", "numpy") if not provenance.get(f"{lib}_version")]
    if missing:
        raise UserError(f"{name}: the document does not record the version of {missing[0]}")
    differ = {
        lib: provenance[f"{lib}_version"]
        for lib, running in VERSIONED.items()
        if provenance.get(f"{lib}_version") not in (None, running)
    }
    if differ:
        said = ", ".join(f"{lib} {v} (this is {lib} {VERSIONED[lib]})" for lib, v in differ.items())
        wanted = " ".join(f"{lib}=={v}" for lib, v in differ.items())
        raise UserError(
            f"{name}: cannot reproduce exactly: it was made with {said}. "
            f"Rerun it where those are installed (pip install {wanted})."
        )


# --- running it again -----------------------------------------------------------------------


def repeat(doc: Mapping[str, Any], kind: str, name: str, workers: int | None) -> dict[str, Any]:
    """Run the recorded scenario again the recorded way; the new document, as JSON reads it."""
    prov = doc["provenance"]
    source = Source(
        str(prov.get("scenario_source") or name),
        prov["scenario_text"],
        tuple(str(item) for item in prov.get("overrides") or ()),
    )
    try:
        scenario = loads(source.text, source.name, source.overrides)
    except ScenarioError as exc:
        raise UserError(f"{name}: the recorded scenario does not load here:\n{exc}") from None
    fresh, run = REPEAT[kind](scenario, source, doc, name, workers)
    if isinstance(doc.get("reconciliation"), dict):  # as `cxsim run` and `cxsim report` add it
        from cxsim.analysis.calibration import reconcile

        fresh["reconciliation"] = reconcile(run.scenario, run).to_dict()
    return _as_json(fresh)


#: A repeater gives the new document and the run whose status quo its reconciliation block
#: compares with the scenario's actuals (the run as simulated: a comparison's baseline).
Repeated = tuple[dict[str, Any], Results | Summary]
Repeater = Callable[[Scenario, Source, Mapping[str, Any], str, "int | None"], Repeated]


def _expected(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Repeated:
    run = expected(scenario, source=source)
    return run.to_dict(), run


def _monte_carlo(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Repeated:
    runs, seed = _runs_and_seed(doc, name)
    run = simulate(scenario, runs=runs, seed=seed, workers=workers, source=source)
    return run.to_dict(), run


def _summary(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Repeated:
    runs, seed = _runs_and_seed(doc, name)
    run = summarise(scenario, runs=runs, seed=seed, workers=workers, source=source)
    return run.to_dict(), run


def _comparison(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Repeated:
    comparison = _compared(scenario, source, doc, name, workers)
    return comparison.to_dict(), comparison.baseline


def _compared(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Comparison:
    """The comparison a document records, made again with its recorded options."""
    runs, seed = _runs_and_seed(doc, name)
    options = doc["provenance"].get("compare")
    if not isinstance(options, dict):  # written before the options were recorded
        options = {"interventions": _chosen(doc)}
    return compare(
        scenario,
        runs=runs,
        seed=seed,
        interventions=options.get("interventions"),
        combined=options.get("combined", True),
        budget=options.get("budget"),
        common_random_numbers=options.get("common_random_numbers", True),
        workers=workers,
        source=source,
    )


def _report(
    scenario: Scenario, source: Source, doc: Mapping[str, Any], name: str, workers: int | None
) -> Repeated:
    """As `cxsim report` builds its results.json: the comparison's baseline is the run."""
    run: Results | Summary
    if isinstance(doc.get("comparison"), dict):
        comparison = _compared(scenario, source, doc["comparison"], name, workers)
        fresh, run = comparison.baseline.to_dict(), comparison.baseline
        fresh["comparison"] = comparison.to_dict()
    else:
        fresh, run = _monte_carlo(scenario, source, doc, name, workers)
    if isinstance(doc.get("sensitivity"), dict):
        fresh["sensitivity"] = _tornado(scenario, doc["sensitivity"], name, workers)
    return fresh, run


def _tornado(
    scenario: Scenario, block: Mapping[str, Any], name: str, workers: int | None
) -> dict[str, Any]:
    """A tornado again, from the options its block records."""
    from cxsim.analysis.sensitivity import tornado  # the heaviest analysis: only when asked

    if block.get("method") != "tornado":
        raise UserError(f"{name}: cannot rerun a sensitivity block of {block.get('method')!r}")
    result = tornado(
        scenario,
        block.get("output"),
        intervention=block.get("intervention"),
        low_q=block.get("low_q", 0.1),
        high_q=block.get("high_q", 0.9),
        runs=block.get("runs"),
        seed=block.get("seed"),
        workers=workers,
    )
    return result.to_dict()


REPEAT: dict[str, Repeater] = {
    "monte_carlo": _monte_carlo,
    "monte_carlo_summary": _summary,
    "expected": _expected,
    "comparison": _comparison,
    "report": _report,
}


def _runs_and_seed(doc: Mapping[str, Any], name: str) -> tuple[int, int]:
    runs, seed = doc.get("runs"), doc.get("seed")
    if not (isinstance(runs, int) and runs >= 1 and isinstance(seed, int)):
        raise UserError(f"{name}: the document does not record its runs and seed")
    return runs, seed


def _as_json(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as it reads back from JSON; NaN and infinities become null, as writers do."""
    result: dict[str, Any] = json.loads(json.dumps(doc), parse_constant=lambda _: None)
    return result


def _chosen(doc: Mapping[str, Any]) -> list[str] | None:
    """The interventions a comparison was asked for, from its outcomes (older documents)."""
    names = [str(o.get("name")) for o in doc.get("interventions", [])]
    prefixes = tuple(p for labels in COMBINATION_LABELS.values() for p in labels.values())
    prefixes += tuple(label.split("{")[0] for label in SET_LABELS.values())  # recommended sets
    together_prefixes = tuple(labels["together"] for labels in COMBINATION_LABELS.values())
    for n in names:
        for prefix in together_prefixes:
            if n.startswith(prefix):
                return n.removeprefix(prefix).split(" + ")
    single = [n for n in names if not n.startswith(prefixes)]
    return single or None


# --- comparing ------------------------------------------------------------------------------


def compare_documents(
    recorded: Mapping[str, Any], fresh: Mapping[str, Any]
) -> tuple[int, list[tuple[str, Any, Any]]]:
    """(values checked, differences as (path, recorded, now)), provenance left out."""
    differences: list[tuple[str, Any, Any]] = []
    checked = 0

    def walk(a: Any, b: Any, path: str) -> None:
        nonlocal checked
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                if key in NOT_COMPARED and path in ("", "comparison"):
                    continue
                sub = f"{path}.{key}" if path else str(key)
                if key not in a or key not in b:
                    checked += 1
                    differences.append((sub, a.get(key, "(absent)"), b.get(key, "(absent)")))
                else:
                    walk(a[key], b[key], sub)
        elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b, strict=True)):
                walk(x, y, f"{path}[{i}]")
        else:
            checked += 1
            if not _same(a, b):
                differences.append((path, a, b))

    walk(recorded, fresh, "")
    return checked, differences


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def describe_run(doc: Mapping[str, Any], kind: str) -> str:
    """What was run, with which versions: the first line `cxsim rerun` prints."""
    prov = doc["provenance"]
    how = DESCRIPTIONS.get(kind, kind)
    runs = "" if kind == "expected" else f", {doc.get('runs'):,} runs, seed {doc.get('seed')}"
    versions = ", ".join(
        f"{lib} {prov[f'{lib}_version']}" for lib in VERSIONED if prov.get(f"{lib}_version")
    )
    return f"{how}{runs} ({versions})"


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, str) and len(value) > 40:
        value = value[:16] + "..."
    return json.dumps(value, ensure_ascii=False)


def _relative(old: float, new: float) -> float:
    return abs(new - old) / max(abs(old), abs(new)) if old or new else 0.0


def _change(old: Any, new: Any) -> str:
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers) and old and math.isfinite(old):
        return f" ({(new - old) / abs(old):+.3%})"
    return ""
