"""`cxsim rerun`: repeat a recorded result from its provenance and check every number.

A thin layer over `cxsim.analysis.rerun.rerun`, which reads the document's kind (a run, a run
of statistics only, the expected-value model, a comparison, a report's results.json), runs it
again the recorded way and compares every number.

Exit codes, as `diff` has them: 0 when every number is reproduced (exactly, or up to rounding
when the document was made on another kind of CPU: `cxsim.engine.rounding`); 1 when the rerun ran
but some numbers differ (they are listed); 2 when it cannot be rerun here (not a results
document, the recorded scenario does not load, or other versions of cxsim, numpy or scipy, whose
numbers may legitimately differ in the last digits).
"""

from __future__ import annotations

import json
import sys

import click

from cxsim.analysis.rerun import rerun as rerun_document
from cxsim.cli.options import json_option, workers_option


@click.command(
    epilog="Examples:\n\n\b\n  cxsim run scenarios/subscription.yaml --runs 500 -o case/\n"
    "  cxsim rerun case/results.json"
)
@click.argument("results_file", metavar="RESULTS.json", type=click.Path(dir_okay=False))
@json_option
@workers_option
def rerun(results_file: str, as_json: bool, workers: int | None) -> None:
    """Repeat the run recorded in RESULTS.json and check that every number is reproduced.

    RESULTS.json is what `cxsim run --json`, `run --out`, `compare --json` or `report` wrote.
    Exits with 0 when all numbers match (exactly, or in all but the last digits when the
    document was made on another kind of CPU), 1 when some differ, 2 when the document
    cannot be rerun here (for example it was made by another version of cxsim or numpy).
    """
    found = rerun_document(results_file, workers=workers)
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(found.text(), nl=False)
    if not found.reproduced:
        sys.exit(1)
