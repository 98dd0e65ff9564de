"""The framework of docs/scoring-example.md and helpers to answer and score it."""

from __future__ import annotations

from typing import Any

import pytest

from assessments import services
from assessments.models import Evidence, Framework, Indicator, Response
from assessments.scoring.services import scores_process_pending, scores_rebuild_campaign
from tests.assessments.conftest import opts, q

EXAMPLE_SPEC: dict[str, Any] = {
    "format": "doanso.framework/1",
    "code": "score-example",
    "version": 1,
    "kind": "unit",
    "name": "Ví dụ tính điểm",
    "description": "",
    "bands": [
        {"min_score": 0, "name": "Khởi động", "description": "", "colour": "#c0392b"},
        {"min_score": 40, "name": "Hình thành", "description": "", "colour": "#27ae60"},
        {"min_score": 70, "name": "Nâng cao", "description": "", "colour": "#1e6fd9"},
    ],
    "target_groups": [],
    "domains": [
        {
            "code": "D1",
            "name": "Lĩnh vực 1",
            "description": "",
            "weight": 3,
            "indicators": [
                {
                    "code": "I1",
                    "name": "Chỉ số 1",
                    "description": "",
                    "guidance": "",
                    "weight": 2,
                    "evidence_required": False,
                    "questions": [
                        q("Q1", "level", weight=2, options=opts(0, 40, 100)),
                        q("Q2", "yes_no", weight=1),
                        q(
                            "Q3",
                            "number",
                            weight=1,
                            thresholds=[{"min": 0, "points": 0}, {"min": 2, "points": 50}, {"min": 5, "points": 100}],
                        ),
                        q(
                            "Q4",
                            "choice",
                            weight=5,
                            required=False,
                            options=opts(0, 100),
                            show_if={"question": "Q2", "values": ["no"]},
                        ),
                    ],
                },
                {
                    "code": "I2",
                    "name": "Chỉ số 2",
                    "description": "",
                    "guidance": "",
                    "weight": 1,
                    "evidence_required": True,
                    "questions": [
                        q("Q5", "multi", weight=1, options=opts(30, 30, 50)),
                        q("Q6", "file", required=False),
                    ],
                },
            ],
        },
        {
            "code": "D2",
            "name": "Lĩnh vực 2",
            "description": "",
            "weight": 1,
            "indicators": [
                {
                    "code": "I3",
                    "name": "Chỉ số 3",
                    "description": "",
                    "guidance": "",
                    "weight": 1,
                    "evidence_required": False,
                    "questions": [
                        q("Q7", "ratio", weight=1),
                        q("Q8", "percent", weight=3, allows_na=True),
                        q("Q9", "text", required=False),
                    ],
                },
                {
                    "code": "I4",
                    "name": "Chỉ số 4",
                    "description": "",
                    "guidance": "",
                    "weight": 3,
                    "evidence_required": False,
                    "questions": [
                        q("Q10", "percent", weight=1),
                        q("Q11", "metric", weight=2, required=False, metric="activities.online_share"),
                    ],
                },
            ],
        },
    ],
}

ANSWERS_A = [
    {"question": "Q1", "value": "1"},
    {"question": "Q2", "value": True},
    {"question": "Q3", "value": 3},
    {"question": "Q4", "value": "1"},
    {"question": "Q5", "value": ["0", "2"]},
    {"question": "Q7", "value": {"numerator": 18, "denominator": 24}},
    {"question": "Q8", "value": None, "na": True},
    {"question": "Q9", "value": "Thiếu máy tính"},
    {"question": "Q10", "value": 40},
]


def answer(response: Response, items: list[dict[str, Any]], by: Any = None) -> Response:
    return services.response_save_answers(
        response=Response.objects.get(pk=response.pk),
        version=Response.objects.get(pk=response.pk).version,
        answers=[
            services.AnswerInput(question=i["question"], value=i.get("value"), na=i.get("na", False)) for i in items
        ],
        by=by,
    )


def attach_evidence(response: Response, indicator_code: str) -> None:
    indicator = Indicator.objects.get(domain__framework=response.assignment.campaign.framework, code=indicator_code)
    Evidence.objects.create(response=response, indicator=indicator, url="https://minh-chung.example.vn/1")


def submit(response: Response, by: Any = None) -> Response:
    return services.response_submit(response=Response.objects.get(pk=response.pk), by=by)


def score_now(campaign_id: int, *, full: bool = False) -> None:
    """What the worker does after commit (tests run in a transaction, so call it directly)."""
    if full:
        scores_rebuild_campaign(campaign_id=campaign_id)
    else:
        scores_process_pending(campaign_id=campaign_id)


@pytest.fixture
def example_framework(db: None) -> Framework:
    return services.framework_import(data=EXAMPLE_SPEC, publish=True)  # type: ignore[return-value]
