"""The complaint calibration's inputs: checks, defaults and the YAML reader.

`check_complaints` turns the inputs (from a file or from keyword arguments) into a complete
specification with defaults, or raises a `UserError` naming the field; `read_complaints_yaml`
adds the file's name and line to each message. The complain and escalation shares are
distributions of `cxsim.model.distributions`, held to bounded ones within (0, 1].
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from cxsim.errors import UserError
from cxsim.model.distributions import Beta, Dist, Probability
from cxsim.model.loader import format_loc, parse_yaml

__all__ = [
    "DEFAULT_COMPLAIN_SHARE",
    "DEFAULT_ESCALATION_SHARE",
    "RECORDED_AT",
    "Locate",
    "check_complaints",
    "no_lines",
    "read_complaints_yaml",
]

RECORDED_AT = ("front_line", "headquarters")
DEFAULT_COMPLAIN_SHARE: dict[str, Any] = {"dist": "pert", "low": 0.3, "mode": 0.5, "high": 0.75}
"""Share of customers with a problem who tell a front-line person: about 50% (75% B2B and for
monetary-loss problems, 5-30% for mistreatment or quality); Goodman, "Basic Facts on Customer
Complaint Behavior", 1999, and ASQ Quality Progress letter, Nov 2005."""
DEFAULT_ESCALATION_SHARE: dict[str, Any] = {"dist": "uniform", "low": 0.01, "high": 0.05}
"""Share of front-line complaints that reach a manager or headquarters: 1-5% (5-10% for
large-ticket problems); same sources."""

PathKey = tuple[str | int, ...]
Locate = Callable[[PathKey], str]
"""Where a field is, as a message prefix: 'file.yaml:3: touchpoints[0].name: '."""

_TOP_KEYS = (
    "touchpoints",
    "customers",
    "periods",
    "recorded_at",
    "complain_share",
    "escalation_share",
    "survey",
    "customer_value",
)
_TOUCHPOINT_KEYS = ("name", "complaints", "customers")
_SURVEY_KEYS = ("respondents", "with_problem", "recall_periods")
_SHARE_DISTS = {
    "uniform": ("low", "high"),
    "triangular": ("low", "mode", "high"),
    "pert": ("low", "mode", "high", "shape"),
    "beta": ("alpha", "beta"),
}
_SHARE = TypeAdapter(Probability)


def no_lines(path: PathKey) -> str:
    """Locate a field of keyword arguments (no file, no lines)."""
    return f"{format_loc(path)}: " if path else ""


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _number(
    data: Mapping[str, Any],
    key: str,
    path: PathKey,
    where: Locate,
    *,
    minimum: float = 0.0,
    strict: bool = False,
    whole: bool = False,
) -> float:
    value = data[key]
    here = (*path, key)
    if not _is_number(value):
        raise UserError(f"{where(here)}must be a number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        sign = ">" if strict else ">="
        raise UserError(f"{where(here)}must be {sign} {minimum:g}, got {value!r}")
    if whole and value != round(value):
        raise UserError(f"{where(here)}must be a whole number, got {value!r}")
    return float(value)


def _unknown_keys(
    data: Mapping[str, Any], allowed: Sequence[str], path: PathKey, where: Locate
) -> None:
    for key in data:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise UserError(
                f"{where((*path, key))}unknown key {key!r}{hint} (allowed: {', '.join(allowed)})"
            )


def _check_share(value: Any, path: PathKey, where: Locate) -> Dist:
    """A share: a number in (0, 1], or a uniform / triangular / PERT / beta within [0, 1]."""
    if isinstance(value, Dist):  # checked again, as if read from a file
        value = value.mean() if value.is_fixed else value.model_dump(by_alias=True)
    if _is_number(value):
        if not 0 < value <= 1:
            raise UserError(f"{where(path)}must be a share in (0, 1], got {value!r}")
    elif not isinstance(value, Mapping) or "dist" not in value:
        raise UserError(
            f"{where(path)}must be a share (a number in (0, 1]) or a distribution such as "
            "{dist: pert, low: 0.3, mode: 0.5, high: 0.75}"
        )
    elif value["dist"] not in _SHARE_DISTS:
        raise UserError(
            f"{where((*path, 'dist'))}a share takes a bounded distribution: "
            f"{', '.join(_SHARE_DISTS)}, got {value['dist']!r}"
        )
    else:
        _unknown_keys(value, ("dist", *_SHARE_DISTS[value["dist"]]), path, where)
    try:
        dist: Dist = _SHARE.validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"][1:])  # the first is the distribution's tag
        message = str(error["msg"]).removeprefix("Value error, ")
        raise UserError(f"{where((*path, *loc))}{message}") from None
    if not isinstance(dist, Beta) and dist.support()[0] <= 0:
        raise UserError(f"{where(path)}a share of 0 would make the multiplier infinite")
    return dist


def _check_touchpoints(tps: Any, customers: float | None, where: Locate) -> list[dict[str, Any]]:
    """Each touchpoint's name, complaints and customers passing through (default: all)."""
    if not isinstance(tps, Sequence) or isinstance(tps, str) or not tps:
        raise UserError(
            f"{where(('touchpoints',))}need a list of touchpoints, each with name and "
            "complaints (and customers)"
        )
    seen: set[str] = set()
    out = []
    for i, tp in enumerate(tps):
        path: PathKey = ("touchpoints", i)
        if not isinstance(tp, Mapping):
            raise UserError(f"{where(path)}a touchpoint is a mapping with name, complaints, ...")
        _unknown_keys(tp, _TOUCHPOINT_KEYS, path, where)
        name = tp.get("name")
        if not isinstance(name, str) or not name.strip():
            raise UserError(f"{where((*path, 'name'))}each touchpoint needs a name")
        if name in seen:
            raise UserError(f"{where((*path, 'name'))}touchpoint name {name!r} is used twice")
        seen.add(name)
        if "complaints" not in tp:
            raise UserError(f"{where(path)}touchpoint {name!r} has no complaints count")
        complaints = _number(tp, "complaints", path, where)
        if tp.get("customers") is not None:
            served = _number(tp, "customers", path, where, strict=True)
        elif customers is not None:
            served = customers
        else:
            raise UserError(
                f"{where(path)}touchpoint {name!r}: how many customers pass through it per "
                "period? give its customers, or customers at the top level"
            )
        if customers is not None and served > customers * (1 + 1e-12):
            raise UserError(
                f"{where((*path, 'customers'))}{served:g} customers pass through {name!r}, more "
                f"than the {customers:g} customers in all"
            )
        out.append({"name": name, "complaints": complaints, "customers": served})
    return out


def _check_survey(survey: Any, customers: float | None, where: Locate) -> dict[str, float]:
    """Respondents, those with a problem, and the periods the survey's question recalls."""
    path: PathKey = ("survey",)
    if not isinstance(survey, Mapping):
        raise UserError(f"{where(path)}a survey is a mapping with respondents, with_problem")
    _unknown_keys(survey, _SURVEY_KEYS, path, where)
    for key in ("respondents", "with_problem"):
        if key not in survey:
            raise UserError(f"{where(path)}the survey needs respondents and with_problem")
    n = _number(survey, "respondents", path, where, strict=True, whole=True)
    k = _number(survey, "with_problem", path, where, whole=True)
    if k > n:
        raise UserError(
            f"{where((*path, 'with_problem'))}{k:g} with a problem out of {n:g} respondents"
        )
    if k == 0:
        raise UserError(
            f"{where((*path, 'with_problem'))}no respondent had a problem: the survey cannot "
            "size the iceberg; leave the survey out to use the complain and escalation shares"
        )
    recall = (
        _number(survey, "recall_periods", path, where, strict=True)
        if survey.get("recall_periods") is not None
        else 1.0
    )
    if customers is None:
        raise UserError(
            f"{where(path)}with a survey, give customers (all active customers per period): "
            "the survey's share times customers counts the customers with a problem"
        )
    return {"respondents": n, "with_problem": k, "recall_periods": recall}


def check_complaints(data: Mapping[str, Any], where: Locate) -> dict[str, Any]:
    """Check the complaint calibration's inputs; return them complete, with defaults.

    The shares come back as distributions; `escalation_share_given` says whether the
    escalation share was given (it is only used for headquarters counts)."""
    if not isinstance(data, Mapping):
        raise UserError(f"{where(())}expected a mapping with touchpoints, customers, ...")
    _unknown_keys(data, _TOP_KEYS, (), where)
    given = {k: v for k, v in data.items() if v is not None}
    customers = (
        _number(given, "customers", (), where, strict=True) if "customers" in given else None
    )
    recorded = given.get("recorded_at", "front_line")
    if recorded not in RECORDED_AT:
        raise UserError(
            f"{where(('recorded_at',))}must be front_line or headquarters (where the company "
            f"counts its complaints), got {recorded!r}"
        )
    spec: dict[str, Any] = {
        "customers": customers,
        "periods": (
            _number(given, "periods", (), where, strict=True) if "periods" in given else 1.0
        ),
        "recorded_at": recorded,
        "complain_share": _check_share(
            given.get("complain_share", DEFAULT_COMPLAIN_SHARE), ("complain_share",), where
        ),
        "escalation_share": _check_share(
            given.get("escalation_share", DEFAULT_ESCALATION_SHARE), ("escalation_share",), where
        ),
        "escalation_share_given": "escalation_share" in given,
        "touchpoints": _check_touchpoints(given.get("touchpoints"), customers, where),
    }
    survey = given.get("survey")
    spec["survey"] = None if survey is None else _check_survey(survey, customers, where)
    spec["customer_value"] = (
        _number(given, "customer_value", (), where) if "customer_value" in given else None
    )
    return spec


def read_complaints_yaml(path: str | Path) -> dict[str, Any]:
    """Read and check a complaints file; returns keyword arguments for `calibrate_complaints`.

    Problems are reported with the file's name, line and field.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UserError(f"{source}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserError(f"{source}: not a UTF-8 text file") from None
    data, marks = parse_yaml(text, source)
    if data is None:
        raise UserError(f"{source}: empty file")

    def where(key: PathKey) -> str:
        probe = key
        while probe and probe not in marks:
            probe = probe[:-1]
        line = f"{marks[probe][0]}:" if probe in marks else ""
        field_name = f" {format_loc(key)}:" if key else ""
        return f"{source}:{line}{field_name} "

    spec = check_complaints(data, where)
    del spec["escalation_share_given"]
    for key in ("complain_share", "escalation_share"):
        spec[key] = data.get(key)  # as written (checked): None means the default
    return spec
