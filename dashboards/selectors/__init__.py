"""Reads for the dashboards: the score rows the pipeline precomputed, never the answers behind
them (except to explain one unit's own response), and the activity/payment figures of a period.

Every function runs a fixed number of queries whatever the size of the subtree. With a sector
chosen, the figures are those of the child subtrees of that sector, combined exactly from their
stored partial sums (the same sums the roll-up is made of), so nothing is recomputed from answers.
"""

from .city import (
    ChildRow,
    Distribution,
    DomainScore,
    GroupScore,
    Kpi,
    MemberCard,
    Overview,
    children_of,
    member_card,
    overview,
    subtree_units,
)
from .common import (
    Banding,
    Level,
    Scored,
    banding_for,
    breadcrumbs,
    covers,
    dashboard_campaigns,
    default_unit,
    pick_campaign,
)
from .unit import (
    AnswerLine,
    DomainLine,
    Explanation,
    IndicatorLine,
    Records,
    TrendPoint,
    explain,
    subtree_scores,
    unit_records,
    unit_trend,
)

__all__ = [
    "AnswerLine",
    "Banding",
    "ChildRow",
    "Distribution",
    "DomainLine",
    "DomainScore",
    "Explanation",
    "GroupScore",
    "IndicatorLine",
    "Kpi",
    "Level",
    "MemberCard",
    "Overview",
    "Records",
    "Scored",
    "TrendPoint",
    "banding_for",
    "breadcrumbs",
    "children_of",
    "covers",
    "dashboard_campaigns",
    "default_unit",
    "explain",
    "member_card",
    "overview",
    "pick_campaign",
    "subtree_scores",
    "subtree_units",
    "unit_records",
    "unit_trend",
]
