"""`cxsim rerun`: repeat a recorded result from its provenance and check every number.

A results document (`cxsim run --json`, the `results.json` of `cxsim run --out`, or
`cxsim compare --json`) holds the scenario's full text, the `--set` overrides, the seed, the
number of runs and the versions that produced it. `rerun` rebuilds the scenario from that text,
runs it again the same way and compares every number of the new document with the recorded one.

Exit codes, as `diff` has them: 0 when every number is reproduced exactly; 1 when the rerun ran
but some numbers differ (they are listed); 2 when it cannot be rerun here (not a results
document, the recorded scenario does not load, or other versions of cxsim, numpy or scipy, whose
numbers may legitimately differ in the last digits).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import click
import numpy as np
import scipy

import cxsim
from cxsim.analysis.compare import COMBINATION_LABELS
from cxsim.errors import ScenarioError, UserError
from cxsim.model.loader import Source

#: Libraries whose version decides the numbers; a rerun under other versions is refused.
VERSIONED = {"cxsim": cxsim.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
#: Recorded facts that are not results (who ran it, where): not compared.
NOT_COMPARED = {"provenance", "cxsim_version"}
SHOWN = 20


@click.command()
@click.argument("results_file", metavar="RESULTS.json", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document with the findings.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: all cores); the numbers do not depend on them.",
)
def rerun(results_file: str, as_json: bool, workers: int | None) -> None:
    """Repeat the run recorded in RESULTS.json and check that every number is reproduced.

    Exits with 0 when all numbers match exactly, 1 when some differ, 2 when the document
    cannot be rerun here (for example it was made by another version of cxsim or numpy).
    """
    recorded = read_document(Path(results_file))
    kind = document_kind(recorded, results_file)
    check_versions(recorded["provenance"], results_file)
    fresh = repeat(recorded, kind, results_file, workers)
    checked, differences = compare_documents(recorded, fresh)
    what = describe_run(recorded, kind)
    if as_json:
        doc = {
            "file": results_file,
            "kind": kind,
            "seed": recorded.get("seed"),
            "runs": recorded.get("runs"),
            "versions": VERSIONED,
            "reproduced": not differences,
            "checked": checked,
            "differences": [{"path": p, "recorded": a, "now": b} for p, a, b in differences],
        }
        click.echo(json.dumps(doc, indent=2, ensure_ascii=False))
    else:
        click.echo(f"rerun of {results_file}: {what}")
        if not differences:
            click.echo(f"reproduced exactly: all {checked} values match")
        else:
            click.echo(f"NOT reproduced: {len(differences)} of {checked} values differ")
            if recorded.get("scenario_sha256") != fresh.get("scenario_sha256"):
                click.echo(
                    "  the scenario text no longer matches its recorded SHA-256: "
                    "the document was edited after it was written"
                )
            for path, old, new in differences[:SHOWN]:
                click.echo(f"  {path}: recorded {_show(old)}, now {_show(new)}{_change(old, new)}")
            if len(differences) > SHOWN:
                click.echo(f"  ... and {len(differences) - SHOWN} more (--json lists them all)")
    if differences:
        sys.exit(1)


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
    provenance = doc.get("provenance") if isinstance(doc, dict) else None
    if not isinstance(provenance, dict):
        raise UserError(
            f"{path}: not a cxsim results document (it has no 'provenance'); rerun takes the "
            "output of `cxsim run --json`, the results.json of `cxsim run --out`, or the "
            "output of `cxsim compare --json`"
        )
    if not isinstance(provenance.get("scenario_text"), str):
        raise UserError(
            f"{path}: the document does not hold the scenario's text (it was made from a "
            "Scenario built in Python, not from a file), so it cannot be rerun"
        )
    return doc


def document_kind(doc: dict[str, Any], name: str) -> str:
    """'monte_carlo', 'expected' or 'compare'."""
    if "interventions" in doc and "baseline" in doc:
        return "compare"
    kind = doc.get("kind")
    if kind not in ("monte_carlo", "expected"):
        raise UserError(f"{name}: not a cxsim results document (unknown kind {kind!r})")
    return str(kind)


def check_versions(provenance: dict[str, Any], name: str) -> None:
    """Refuse, saying which, when the recorded versions are not the running ones."""
    missing = [lib for lib in ("cxsim", "numpy") if not provenance.get(f"{lib}_version")]
    if missing:
        raise UserError(f"{name}: the document does not record the version of {missing[0]}")
    differ = [
        f"{lib} {provenance[f'{lib}_version']} (this is {lib} {running})"
        for lib, running in VERSIONED.items()
        if provenance.get(f"{lib}_version") not in (None, running)
    ]
    if differ:
        wanted = " ".join(
            f"{lib}=={provenance[f'{lib}_version']}"
            for lib, running in VERSIONED.items()
            if provenance.get(f"{lib}_version") not in (None, running)
        )
        raise UserError(
            f"{name}: cannot reproduce exactly: it was made with {', '.join(differ)}. "
            f"Rerun it where those are installed (pip install {wanted})."
        )


def repeat(doc: dict[str, Any], kind: str, name: str, workers: int | None) -> dict[str, Any]:
    """Run the recorded scenario again the recorded way; the new document, as JSON reads it."""
    prov = doc["provenance"]
    source = Source(
        str(prov.get("scenario_source") or name),
        prov["scenario_text"],
        tuple(str(item) for item in prov.get("overrides") or ()),
    )
    try:
        scenario = cxsim.loads(source.text, source.name, source.overrides)
    except ScenarioError as exc:
        raise UserError(f"{name}: the recorded scenario does not load here:\n{exc}") from None
    if kind == "expected":
        return _as_json(cxsim.expected(scenario, source=source).to_dict())
    runs, seed = doc.get("runs"), doc.get("seed")
    if not (isinstance(runs, int) and runs >= 1 and isinstance(seed, int)):
        raise UserError(f"{name}: the document does not record its runs and seed")
    if kind == "monte_carlo":
        results = cxsim.simulate(scenario, runs=runs, seed=seed, workers=workers, source=source)
        return _as_json(results.to_dict())
    options = prov.get("compare")
    if not isinstance(options, dict):  # written before the options were recorded
        options = {"interventions": _chosen(doc)}
    comparison = cxsim.compare(
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
    return _as_json(comparison.to_dict())


def _as_json(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as it reads back from JSON (as the recorded one was read)."""
    result: dict[str, Any] = json.loads(json.dumps(doc))
    return result


def _chosen(doc: dict[str, Any]) -> list[str] | None:
    """The interventions a comparison was asked for, from its outcomes (older documents)."""
    names = [str(o.get("name")) for o in doc.get("interventions", [])]
    prefixes = tuple(p for labels in COMBINATION_LABELS.values() for p in labels.values())
    together_prefixes = tuple(labels["together"] for labels in COMBINATION_LABELS.values())
    for n in names:
        for prefix in together_prefixes:
            if n.startswith(prefix):
                return n.removeprefix(prefix).split(" + ")
    single = [n for n in names if not n.startswith(prefixes)]
    return single or None


def compare_documents(
    recorded: dict[str, Any], fresh: dict[str, Any]
) -> tuple[int, list[tuple[str, Any, Any]]]:
    """(values checked, differences as (path, recorded, now)), provenance left out."""
    differences: list[tuple[str, Any, Any]] = []
    checked = 0

    def walk(a: Any, b: Any, path: str) -> None:
        nonlocal checked
        if isinstance(a, dict) and isinstance(b, dict):
            for key in [*a, *(k for k in b if k not in a)]:
                if not path and key in NOT_COMPARED:
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


def describe_run(doc: dict[str, Any], kind: str) -> str:
    prov = doc["provenance"]
    how = {"expected": "expected-value model", "monte_carlo": "monte carlo"}.get(kind, kind)
    how = "comparison of interventions" if kind == "compare" else how
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


def _change(old: Any, new: Any) -> str:
    numbers = (int, float)
    if isinstance(old, numbers) and isinstance(new, numbers) and old and math.isfinite(old):
        return f" ({(new - old) / abs(old):+.3%})"
    return ""
