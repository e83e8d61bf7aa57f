"""The base of every scenario model: frozen, no unknown keys, no NaN or infinity; names and
texts without control characters."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# Bidirectional overrides and line separators: invisible, and able to make a name read as another.
_INVISIBLE = re.compile("[\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain_text(multiline: bool) -> Any:
    """Validator: text without control characters (a newline or tab only where `multiline`)."""

    def check(value: str) -> str:
        for ch in value:
            if (unicodedata.category(ch) == "Cc" and not (multiline and ch in "\n\t\r")) or (
                _INVISIBLE.match(ch)
            ):
                raise ValueError(f"must not hold the control character U+{ord(ch):04X}")
        return value

    return AfterValidator(check)


Name = Annotated[str, Field(min_length=1, max_length=200), plain_text(multiline=False)]
Text = Annotated[str, Field(max_length=5000), plain_text(multiline=True)]


class Model(BaseModel):
    """Base of every scenario model: frozen, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True
    )
