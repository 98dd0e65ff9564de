"""A small framework that uses every question type, and campaigns over the persona tree."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assessments import services
from assessments.models import Campaign, Framework, Response


def q(code: str, qtype: str, **extra: Any) -> dict[str, Any]:
    base = {
        "code": code,
        "text": f"Câu hỏi {code}",
        "help": "",
        "type": qtype,
        "weight": 1,
        "required": True,
        "allows_na": False,
        "scored": qtype not in ("text", "file"),
        "show_if": None,
        "options": [],
        "thresholds": [],
        "unit_label": "",
        "numerator_label": "",
        "denominator_label": "",
        "metric": "",
        "target_groups": [],
    }
    base.update(extra)
    return base


def opts(*points: int) -> list[dict[str, Any]]:
    return [{"code": str(i), "label": f"Mức {i}", "description": "", "points": p} for i, p in enumerate(points)]


SMALL_UNIT_SPEC: dict[str, Any] = {
    "format": "doanso.framework/1",
    "code": "test-unit",
    "version": 1,
    "kind": "unit",
    "name": "Bộ chỉ số thử nghiệm",
    "description": "",
    "bands": [
        {"min_score": 0, "name": "Khởi động", "description": "", "colour": "#c0392b"},
        {"min_score": 50, "name": "Hình thành", "description": "", "colour": "#27ae60"},
        {"min_score": 80, "name": "Nâng cao", "description": "", "colour": "#1e6fd9"},
    ],
    "target_groups": [],
    "domains": [
        {
            "code": "A",
            "name": "Hội họp số",
            "description": "",
            "weight": 2,
            "indicators": [
                {
                    "code": "A.1",
                    "name": "Họp trực tuyến",
                    "description": "",
                    "guidance": "Tổ chức họp trực tuyến định kỳ.",
                    "weight": 1,
                    "evidence_required": False,
                    "questions": [
                        q("A1", "level", options=opts(0, 50, 100)),
                        q("A2", "yes_no"),
                        q(
                            "A3",
                            "number",
                            thresholds=[{"min": 0, "points": 0}, {"min": 2, "points": 50}, {"min": 4, "points": 100}],
                            unit_label="cuộc",
                        ),
                        q("A4", "choice", options=opts(0, 100), show_if={"question": "A2", "values": ["yes"]}),
                    ],
                },
                {
                    "code": "A.2",
                    "name": "Biên bản điện tử",
                    "description": "",
                    "guidance": "Lưu biên bản trên hệ thống.",
                    "weight": 1,
                    "evidence_required": True,
                    "questions": [
                        q("A5", "multi", options=opts(40, 40, 40)),
                        q("A6", "file", required=False),
                    ],
                },
            ],
        },
        {
            "code": "B",
            "name": "Dữ liệu số",
            "description": "",
            "weight": 1,
            "indicators": [
                {
                    "code": "B.1",
                    "name": "Sổ đoàn viên điện tử",
                    "description": "",
                    "guidance": "Số hoá sổ đoàn viên.",
                    "weight": 1,
                    "evidence_required": False,
                    "questions": [
                        q(
                            "B1",
                            "ratio",
                            numerator_label="Đoàn viên có hồ sơ số",
                            denominator_label="Tổng số đoàn viên",
                        ),
                        q("B2", "percent", allows_na=True),
                        q("B3", "metric", required=False, metric="activities.online_share"),
                        q("B4", "text", required=False),
                    ],
                }
            ],
        },
    ],
}


SMALL_MEMBER_SPEC: dict[str, Any] = {
    "format": "doanso.framework/1",
    "code": "test-member",
    "version": 1,
    "kind": "member",
    "name": "Năng lực số thử nghiệm",
    "description": "",
    "bands": [
        {"min_score": 0, "name": "Cơ bản", "description": "", "colour": "#e67e22"},
        {"min_score": 50, "name": "Nâng cao", "description": "", "colour": "#27ae60"},
    ],
    "target_groups": [{"code": "student", "name": "Sinh viên"}, {"code": "worker", "name": "Công nhân"}],
    "domains": [
        {
            "code": "1",
            "name": "Khai thác dữ liệu",
            "description": "",
            "weight": 1,
            "indicators": [
                {
                    "code": "1.1",
                    "name": "Tìm kiếm thông tin",
                    "description": "",
                    "guidance": "",
                    "weight": 1,
                    "evidence_required": False,
                    "questions": [
                        q("C1.1", "level", options=opts(0, 25, 50, 75, 100)),
                        q("C1.2", "level", options=opts(0, 50, 100), target_groups=["student"]),
                    ],
                }
            ],
        }
    ],
}


def spec(base: dict[str, Any] = SMALL_UNIT_SPEC, **changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(base)
    data.update(changes)
    return data


@pytest.fixture
def unit_framework(db: None) -> Framework:
    return services.framework_import(data=spec(), publish=True)  # type: ignore[return-value]


@pytest.fixture
def member_framework(db: None) -> Framework:
    return services.framework_import(data=spec(SMALL_MEMBER_SPEC), publish=True)  # type: ignore[return-value]


def make_campaign(
    framework: Framework, scope: Any, *, levels: list[str], open_it: bool = True, **extra: Any
) -> Campaign:
    now = timezone.now()
    fields: dict[str, Any] = {
        "by": None,
        "framework": framework,
        "name": f"Đợt {framework.code}",
        "milestone": "T0",
        "period_start": (now - timedelta(days=90)).date(),
        "period_end": now.date(),
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=14),
        "scope_unit": scope,
        "levels": levels,
    }
    fields.update(extra)
    campaign = services.campaign_create(**fields)
    if open_it:
        services.campaign_open(campaign=campaign)
        campaign.refresh_from_db()
    return campaign


@pytest.fixture
def unit_campaign(tree: Any, unit_framework: Framework) -> Campaign:
    return make_campaign(unit_framework, tree.city, levels=["upper_grassroots", "grassroots", "branch"])


@pytest.fixture
def member_campaign(tree: Any, member_framework: Framework) -> Campaign:
    return make_campaign(member_framework, tree.city, levels=["branch"])


@pytest.fixture
def editor_response(unit_campaign: Campaign, tree: Any) -> Response:
    return Response.objects.get(assignment__campaign=unit_campaign, assignment__unit=tree.qa1a)


# A complete set of answers for the small unit framework, in API shape.
FULL_ANSWERS = [
    {"question": "A1", "value": "1"},
    {"question": "A2", "value": True},
    {"question": "A3", "value": 3},
    {"question": "A4", "value": "1"},
    {"question": "A5", "value": ["0", "2"]},
    {"question": "B1", "value": {"numerator": 18, "denominator": 24}},
    {"question": "B2", "value": 60},
]
