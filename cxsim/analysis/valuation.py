"""What a business case counts: margin. Revenue less costs is not a profit figure.

`compare` nets intervention costs against the value saved (NPV, ROI, payback), so the value must
be margin. A scenario valued on revenue is switched to margin when every segment states its
margin; otherwise it is refused with the field to add, since the default margin of 1 would
quietly count revenue as profit.
"""

from __future__ import annotations

from cxsim.errors import UserError
from cxsim.model.scenario import Scenario


def for_business_case(scenario: Scenario) -> Scenario:
    """The scenario valued on margin, for comparing value saved with costs.

    Unchanged when it is valued on margin already; switched from revenue when every segment
    gives `margin` explicitly (`business_case_note` says so); a `UserError` naming the
    segments without one otherwise.
    """
    if scenario.economics.value == "margin":
        return scenario
    missing = [seg.name for seg in scenario.segments if "margin" not in seg.model_fields_set]
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise UserError(
            f"scenario {scenario.name!r} is valued on revenue (economics.value), and a business "
            "case nets costs against margin, not revenue: give segments.*.margin for "
            f"{names}, or set economics.value: margin"
        )
    economics = scenario.economics.model_copy(update={"value": "margin"})
    return scenario.model_copy(update={"economics": economics})


def business_case_note(scenario: Scenario) -> str | None:
    """What `for_business_case` changed, in a sentence for the comparison's output."""
    if scenario.economics.value == "margin":
        return None
    return (
        "valued on margin for the business case (the scenario says revenue; "
        "costs are netted against margin)"
    )
