"""Floating-point rounding across CPUs: which CPU made a result, and which numbers are the same.

A seed gives bit-identical numbers on one kind of CPU, whatever the workers. On another kind the
last digits may differ: numpy's SIMD loops (its own exp, log and power on AVX-512, say) and
OpenBLAS's matrix products pick kernels for the CPU they run on, and those round differently.
Measured: the golden files, recorded on an earlier machine, came back on an AMD EPYC (family
25, AVX2 but no AVX-512) with 2-5e-16 relative differences in single figures, up to 4e-14 in
differences of two of them (loss avoided, a tornado's swing) and 4e-8 in a reconciliation gap
of 4e-11 (1.7e-18 absolute).
`REL` and `ABS` allow for that, and for nothing a change to the model would make.
"""

from __future__ import annotations

import functools
import importlib
import math
import platform
from pathlib import Path
from typing import Any

#: Relative difference that is rounding: about 4,500 times the machine epsilon.
REL = 1e-12
#: Absolute difference that is rounding, for values near zero (a modelled-minus-actual gap):
#: a trillionth of a currency unit, a customer or a rate.
ABS = 1e-12


def within_rounding(a: Any, b: Any) -> bool:
    """True when two recorded values are the same number up to another CPU's rounding."""
    numbers = (int, float)
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, numbers) and isinstance(b, numbers):
        return math.isclose(a, b, rel_tol=REL, abs_tol=ABS)
    return False


@functools.cache
def cpu_kind() -> str:
    """The CPU as far as it decides rounding: its model and the SIMD level numpy runs at.

    For example "AMD EPYC (family 25, model 1), x86_64 X86_V3". Machines with the same text are
    taken to run the same kernels: `cxsim rerun` then asks for every number bit for bit.
    """
    model = _cpu_model()
    levels = _simd_levels()
    simd = f"{platform.machine()} {levels[-1] if levels else 'baseline'}"
    return f"{model}, {simd}" if model else simd


def _simd_levels() -> list[str]:
    """numpy's runtime dispatch targets this CPU supports, lowest first (numpy 2, then 1.26)."""
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            umath = importlib.import_module(name)
        except ImportError:
            continue
        return [t for t in umath.__cpu_dispatch__ if umath.__cpu_features__.get(t)]
    return []


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor()
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    name = fields.get("model name", "")
    if "cpu family" in fields:
        name += f" (family {fields['cpu family']}, model {fields.get('model', '?')})"
    return name.strip()
