"""Learn the loss tree from a company's own records (`cxsim calibrate records`).

Two CSV files, one header row each; dates are YYYY-MM-DD; lines starting with # are comments.
Column names are the ones below unless mapped (`--map start=signup_date`, or a mapping YAML
file with `columns: {start: signup_date}` and `csat_bands: {satisfied: 5, mollified: 3}`).

customers.csv, one row per customer:
    id        unique customer id (required)
    segment   the scenario's segment name (required)
    start     the day they became a customer (required)
    end       the day they left, empty while active (required; a churn flag alone cannot time
              churn after a contact)
    revenue   revenue per period (required)

contacts.csv, one row per complaint or contact:
    customer        a customer id from customers.csv (required)
    date            the day of the contact, not before the customer's start (required)
    touchpoint      the touchpoint or reason (required)
    channel         phone, chat, email, ... (optional)
    response_hours  hours until the first answer (optional; needed for the response curve)
    outcome         satisfied, mollified or dissatisfied (or, instead, csat: a score put in
                    bands: at least `satisfied` is satisfied, at least `mollified` is mollified,
                    below is dissatisfied; default 5 and 3 on a 1-5 scale)
    severity        minor or major (optional; empty or absent pools the two)

What records cannot show is taken from the scenario and marked as an assumption: silent
failures, the complaint rate and silent defection (`cxsim calibrate complaints` sizes the
iceberg), word of mouth.
"""

from cxsim.analysis.records.reading import ColumnMap, CsatBands, Records, read_mapping, read_records
from cxsim.analysis.records.result import RecordsCalibration, Row, calibrate_records

__all__ = [
    "ColumnMap",
    "CsatBands",
    "Records",
    "RecordsCalibration",
    "Row",
    "calibrate_records",
    "read_mapping",
    "read_records",
]
