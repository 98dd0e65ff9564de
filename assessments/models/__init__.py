"""Models of the assessments app, by topic. Import from ``assessments.models``."""

from .campaigns import Assignment, Campaign, ReminderLog, new_member_token
from .frameworks import (
    Domain,
    Framework,
    FrameworkContent,
    FrameworkKind,
    Indicator,
    LevelBand,
    Option,
    Question,
    TargetGroup,
    code_validator,
    slug_validator,
)
from .responses import Answer, Evidence, Response, ResponseTransition
from .scores import (
    ResponseDomainScore,
    ResponseIndicatorScore,
    ResponseScore,
    ScoreDirty,
    UnitDomainScore,
    UnitGroupScore,
    UnitScore,
)

__all__ = [
    "Answer",
    "Assignment",
    "Campaign",
    "Domain",
    "Evidence",
    "Framework",
    "FrameworkContent",
    "FrameworkKind",
    "Indicator",
    "LevelBand",
    "Option",
    "Question",
    "ReminderLog",
    "Response",
    "ResponseDomainScore",
    "ResponseIndicatorScore",
    "ResponseScore",
    "ResponseTransition",
    "ScoreDirty",
    "TargetGroup",
    "UnitDomainScore",
    "UnitGroupScore",
    "UnitScore",
    "code_validator",
    "new_member_token",
    "slug_validator",
]
