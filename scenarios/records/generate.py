"""Generate the sample records (customers.csv, contacts.csv) from known rates, reproducibly.

    python scenarios/records/generate.py            # writes beside this script

A subscription business over two years from 2023-01-01, in windows of 90 days. Each customer
joins in the first window; in each later window an active customer complains with probability
CONTACT (on the window's first day) or not. A complaint's response time is lognormal; its
outcome follows `cxsim.support.channels.ResolutionCurve` with CURVE; churn within the 90 days
after it has probability 1 - (1 - BASELINE)(1 - DEFECTION[outcome][severity]) on the odds scale
multiplied by MEMORY[earlier dissatisfied complaints]. Without a complaint, churn in the window
has probability BASELINE. These are the true values `cxsim calibrate records` should recover.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20
CUSTOMERS = 3000
WINDOW = 90
WINDOWS = 8
FIRST = np.datetime64("2023-01-01")
CONTACT = 0.22
BASELINE = 0.05
MAJOR = 0.35
OUTCOMES = ("satisfied", "mollified", "dissatisfied")
DEFECTION = {  # failure-caused defection by outcome, (minor, major)
    "satisfied": (0.03, 0.10),
    "mollified": (0.10, 0.25),
    "dissatisfied": (0.25, 0.45),
}
MEMORY = (1.0, 2.5, 5.0)  # odds ratios after 0, 1, 2+ earlier dissatisfied complaints
CURVE = {"sf": 0.65, "ss": 0.15, "df": 0.10, "ds": 0.55, "mid": 8.0}
SEGMENTS = {"Monthly plan": (0.7, 15.49), "Annual plan": (0.3, 12.99)}
TOUCHPOINTS = {  # share of complaints, share major
    "Streaming quality": (0.35, 0.1),
    "App crash": (0.25, 0.1),
    "Billing error": (0.25, 0.8),
    "Price change not as promised": (0.15, 0.7),
}
CHANNELS = {"phone": (0.4, 2.0), "chat": (0.3, 0.3), "email": (0.3, 14.0)}  # share, median h


def outcome_shares(hours: np.ndarray) -> np.ndarray:
    """(n, 3) satisfied / mollified / dissatisfied shares at each response time."""
    q = 1.0 / (1.0 + hours / CURVE["mid"])
    sat = CURVE["ss"] + (CURVE["sf"] - CURVE["ss"]) * q
    dis = CURVE["ds"] - (CURVE["ds"] - CURVE["df"]) * q
    return np.column_stack([sat, 1.0 - sat - dis, dis])


def generate(seed: int = SEED, customers: int = CUSTOMERS) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The two tables, one customer at a time in spirit, vectorised over customers."""
    rng = np.random.default_rng(seed)
    n = customers
    seg_names = list(SEGMENTS)
    seg = rng.choice(len(seg_names), n, p=[s[0] for s in SEGMENTS.values()])
    revenue = np.array([s[1] for s in SEGMENTS.values()])[seg] * rng.lognormal(0, 0.25, n)
    start = rng.integers(0, WINDOW, n)
    end = np.full(n, -1)
    prior = np.zeros(n, dtype=int)
    tps, chans = list(TOUCHPOINTS), list(CHANNELS)
    rows: list[pd.DataFrame] = []
    for k in range(1, WINDOWS):
        ws = k * WINDOW
        alive = end < 0
        contact = alive & (rng.random(n) < CONTACT)
        idx = np.flatnonzero(contact)
        tp = rng.choice(len(tps), idx.size, p=[t[0] for t in TOUCHPOINTS.values()])
        major = rng.random(idx.size) < np.array([t[1] for t in TOUCHPOINTS.values()])[tp]
        ch = rng.choice(len(chans), idx.size, p=[c[0] for c in CHANNELS.values()])
        hours = np.array([c[1] for c in CHANNELS.values()])[ch] * rng.lognormal(0, 0.9, idx.size)
        u = rng.random(idx.size)[:, None]
        out = (u > np.cumsum(outcome_shares(hours), axis=1)).sum(axis=1)
        d = np.array([DEFECTION[o] for o in OUTCOMES])[out, major.astype(int)]
        p = 1 - (1 - BASELINE) * (1 - d)
        odds = p / (1 - p) * np.array(MEMORY)[np.minimum(prior[idx], 2)]
        churn_c = rng.random(idx.size) < odds / (1 + odds)
        end[idx[churn_c]] = ws + rng.integers(1, WINDOW, churn_c.sum())
        prior[idx] += out == 2
        quiet = alive & ~contact & (rng.random(n) < BASELINE)
        end[quiet] = ws + rng.integers(0, WINDOW, quiet.sum())
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": idx,
                    "day": ws,
                    "touchpoint": np.array(tps)[tp],
                    "channel": np.array(chans)[ch],
                    "response_hours": np.round(hours, 2),
                    "outcome": np.array(OUTCOMES)[out],
                    "severity": np.where(major, "major", "minor"),
                }
            )
        )
    day = np.timedelta64(1, "D")
    customers_df = pd.DataFrame(
        {
            "id": [f"C{i:05d}" for i in range(n)],
            "segment": np.array(seg_names)[seg],
            "start": (FIRST + start * day).astype("datetime64[D]").astype(str),
            "end": np.where(end >= 0, (FIRST + end * day).astype("datetime64[D]").astype(str), ""),
            "revenue": np.round(revenue, 2),
        }
    )
    contacts = pd.concat(rows, ignore_index=True)
    contacts.insert(1, "date", (FIRST + contacts.pop("day").to_numpy() * day).astype(str))
    contacts["customer_id"] = [f"C{i:05d}" for i in contacts["customer_id"]]
    return customers_df, contacts


if __name__ == "__main__":
    here = Path(__file__).resolve().parent
    cust, cont = generate()
    cust.to_csv(here / "customers.csv", index=False)
    cont.to_csv(here / "contacts.csv", index=False)
    print(f"wrote {len(cust)} customers and {len(cont)} contacts to {here}")
