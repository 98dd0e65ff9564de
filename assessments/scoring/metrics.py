"""Metric questions: values computed from a unit's records, supplied by other apps.

The activities app registers a :class:`MetricSource` for the ``activities.*`` and ``payments.*``
keys when it starts (assessments does not import it). A metric is a percentage over the unit's
subtree within the campaign period; ``None`` when there is nothing to count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class MetricValue:
    value: float | None  # 0–100
    numerator: float
    denominator: float
    label: str  # what was counted, for the survey page


@dataclass(frozen=True)
class MetricSource:
    keys: tuple[str, ...]
    # SQL selecting (prefix, metric, value) rows: ``prefix`` a unit path at one of ``depths``,
    # aggregated over the records of that unit's subtree between two dates.
    rows_sql: Callable[[Sequence[int], date, date], tuple[str, list[Any]]]
    # The values for one unit, with what was counted (for display).
    unit_values: Callable[[Any, date, date], dict[str, MetricValue]]


_SOURCES: list[MetricSource] = []


def register(source: MetricSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def sources() -> list[MetricSource]:
    return list(_SOURCES)


def unit_metric_values(unit: Any, start: date, end: date) -> dict[str, MetricValue]:
    values: dict[str, MetricValue] = {}
    for source in _SOURCES:
        values.update(source.unit_values(unit, start, end))
    return values
