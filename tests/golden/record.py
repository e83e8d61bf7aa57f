"""Record the golden files: every example's `run`, `compare` and `sensitivity` JSON at fixed seeds.

Run `python tests/golden/record.py` only when a change is meant to move numbers, and say so in the
commit; `tests/test_golden.py` checks that everything else leaves them bit-identical on the kind
of CPU that recorded them (cpu.txt), and the same up to rounding on others.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SEED = "11"
#: The CPU the files were recorded on (`cxsim.engine.rounding.cpu_kind`); absent for files
#: recorded before it was kept.
CPU_FILE = HERE / "cpu.txt"
#: (golden name, CLI arguments); files relative to the repository's root.
CASES: list[tuple[str, list[str]]] = []
for name, compare_file, compare_runs in [
    ("subscription", "scenarios/subscription.yaml", "128"),
    ("ecommerce", "scenarios/interventions/ecommerce_fixes.yaml", "128"),
    ("contact_centre", "scenarios/contact_centre.yaml", "64"),
    ("japan_ec", "scenarios/japan_ec.yaml", "128"),
]:
    scenario = f"scenarios/{name}.yaml"
    CASES += [
        (
            f"{name}.run",
            ["run", scenario, "--runs", "256", "--seed", SEED, "--workers", "1", "--json"],
        ),
        (f"{name}.expected", ["run", scenario, "--expected", "--json"]),
        (
            f"{name}.compare",
            [
                "compare",
                compare_file,
                "--runs",
                compare_runs,
                "--seed",
                SEED,
                "--workers",
                "1",
                "--json",
            ],
        ),
        (f"{name}.sensitivity", ["sensitivity", scenario, "--json"]),
    ]


def produce(args: list[str]) -> dict:
    """The JSON document a command prints, run in this process from the repository's root."""
    from cxsim.cli.main import cli

    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"cxsim {' '.join(args)} exited {result.exit_code}: {result.output}")
    return json.loads(result.stdout)


def volatile(doc: object) -> object:
    """The document without what legitimately differs between machines (library versions)."""
    if isinstance(doc, dict):
        return {
            k: volatile(v)
            for k, v in doc.items()
            if k not in ("numpy_version", "scipy_version", "python_version", "cpu")
        }
    if isinstance(doc, list):
        return [volatile(v) for v in doc]
    return doc


if __name__ == "__main__":
    import os

    from cxsim.engine.rounding import cpu_kind

    os.chdir(ROOT)
    CPU_FILE.write_text(cpu_kind() + "\n")
    only = set(sys.argv[1:])
    for name, args in CASES:
        if only and name not in only:
            continue
        doc = volatile(produce(args))
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
        print("recorded", name)
