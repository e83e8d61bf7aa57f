"""Support operations: a SimPy contact-centre model that decides how complaints end.

Goodman's loss tree needs, for every period, the share of complaints that end satisfied,
mollified or dissatisfied. Here that share follows from how the support operation performs:
complaints arrive at channels (phone, chat, email, ...) with agents, opening hours, a handle-time
distribution and customer patience; a discrete-event model (SimPy) turns a period's complaint
volume into response times, abandonment and backlog, and a documented function of response time
(`ResolutionCurve`) turns those into the split.

Plain data in and out: `Channel`, `SupportOperation` and `ResolutionCurve` are dataclasses
checked when built; runs return numpy arrays. The scenario layer maps its `support:` section onto
them. Time inside the simulation is in seconds since Monday 00:00 of week 0; week-hour h = 0..167
is day h // 24 (Monday = 0) and hour h % 24.

The model
---------
- Arrivals: a non-homogeneous Poisson process whose rate is piecewise constant over the 168
  hours of the week (`weekly_profile`). Given a period's volume, the arrival times are that many
  independent draws from the same intensity (the Poisson process conditioned on its count).
  Synchronous channels (phone, chat) receive contacts only while open: the profile is masked by
  the opening hours and renormalised, so customers call when the lines are open and the volume is
  kept. Asynchronous channels (email, web forms) receive them round the clock and the queue
  carries over nights and weekends.
- Agents: a number, or a 7×24 schedule. An agent going off shift finishes the contact in hand
  (no pre-emption). While a channel is closed it has no agents.
- Queue: one first-come-first-served queue per channel. A waiting contact hangs up after its
  patience (exponential with the given mean, as in Erlang A; None = never). When a synchronous
  channel closes, contacts still waiting are dropped ("closed out") and count as abandoned.
- Outcomes: answered contacts have a wait (arrival to an agent picking it up) and a response
  time (arrival to the end of handling: when the customer has the answer). Abandoned and
  closed-out complaints count as unresolved: dissatisfied.

The shortcut
------------
A SimPy run for every Monte Carlo run and period would be slow: `cxsim.support.response_curve`
simulates each channel once over a grid of loads and interpolates. Each period is treated on its
own: it starts from the state a week at the same load leaves behind (the warm-up), not from the
previous period's actual backlog.

The code
--------
`channels` (plain data: channels, the weekly profile, the operation, the resolution curve),
`desk` (the SimPy processes of one channel), `replication` (replications with confidence
intervals) and `period` (a whole period directly). Their public names are importable from here.
"""

from __future__ import annotations

from cxsim.support.channels import (
    HOURS_PER_WEEK,
    MEAN_HOURS_PER_MONTH,
    SECONDS_PER_HOUR,
    Channel,
    ResolutionCurve,
    SupportOperation,
    resolution_split,
    weekly_profile,
)
from cxsim.support.desk import ChannelRun, simulate_channel
from cxsim.support.period import PeriodRun, simulate_period
from cxsim.support.replication import METRICS, ReplicationStats, replicate

__all__ = [
    "HOURS_PER_WEEK",
    "MEAN_HOURS_PER_MONTH",
    "METRICS",
    "SECONDS_PER_HOUR",
    "Channel",
    "ChannelRun",
    "PeriodRun",
    "ReplicationStats",
    "ResolutionCurve",
    "SupportOperation",
    "replicate",
    "resolution_split",
    "simulate_channel",
    "simulate_period",
    "weekly_profile",
]
