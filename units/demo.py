"""Demo data for the unit tree: an HCMC-like Union with people in every kind of role.

Deterministic (seeded), and loaded through the same import service as real files, so running it
twice changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from doanso.lib.tabular import Table

from .importing import COLUMNS, ImportPlan
from .models import Unit, UnitRole
from .services import unit_recompute_member_totals, unitrole_grant, units_import

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise as StrOrPromise

DEMO_PASSWORD = "doanso-demo"
ROOT_CODE = "HCM"
TREE_ADMIN_GROUP = "Quản trị cây đơn vị"

S = Unit.Sector
UPPER_UNITS: list[tuple[str, str, str]] = [
    ("HCM-PSG", "Đoàn phường Sài Gòn", S.RESIDENTIAL),
    ("HCM-PBT", "Đoàn phường Bến Thành", S.RESIDENTIAL),
    ("HCM-PTD", "Đoàn phường Tân Định", S.RESIDENTIAL),
    ("HCM-PBTH", "Đoàn phường Bình Thạnh", S.RESIDENTIAL),
    ("HCM-PTDU", "Đoàn phường Thủ Đức", S.RESIDENTIAL),
    ("HCM-XBC", "Đoàn xã Bình Chánh", S.RESIDENTIAL),
    ("HCM-XCC", "Đoàn xã Củ Chi", S.RESIDENTIAL),
    ("HCM-XCG", "Đoàn xã Cần Giờ", S.RESIDENTIAL),
    ("HCM-DHQG", "Đoàn Đại học Quốc gia TP.HCM", S.UNIVERSITY),
    ("HCM-BK", "Đoàn trường ĐH Bách khoa", S.UNIVERSITY),
    ("HCM-SP", "Đoàn trường ĐH Sư phạm TP.HCM", S.UNIVERSITY),
    ("HCM-KT", "Đoàn trường ĐH Kinh tế TP.HCM", S.UNIVERSITY),
    ("HCM-YD", "Đoàn trường ĐH Y Dược TP.HCM", S.UNIVERSITY),
    ("HCM-THPT1", "Cụm trường THPT số 1", S.SCHOOL),
    ("HCM-THPT2", "Cụm trường THPT số 2", S.SCHOOL),
    ("HCM-EVN", "Đoàn Tổng Công ty Điện lực TP.HCM", S.ENTERPRISE),
    ("HCM-SGT", "Đoàn Tổng Công ty Du lịch Sài Gòn", S.ENTERPRISE),
    ("HCM-SWC", "Đoàn Tổng Công ty Cấp nước Sài Gòn", S.ENTERPRISE),
    ("HCM-KDN", "Đoàn Khối Doanh nghiệp", S.ENTERPRISE),
    ("HCM-KDCD", "Đoàn Khối Dân - Chính - Đảng", S.AGENCY),
    ("HCM-SYT", "Đoàn Sở Y tế", S.AGENCY),
    ("HCM-STP", "Đoàn Sở Tư pháp", S.AGENCY),
    ("HCM-CA", "Đoàn Công an TP.HCM", S.ARMED_FORCES),
    ("HCM-BTL", "Đoàn Bộ Tư lệnh TP.HCM", S.ARMED_FORCES),
]

FACULTIES = ["Công nghệ thông tin", "Kinh tế", "Ngoại ngữ", "Cơ khí", "Hóa học", "Điện - Điện tử", "Y khoa", "Luật"]
SCHOOLS = [
    "Lê Quý Đôn",
    "Nguyễn Thị Minh Khai",
    "Trần Đại Nghĩa",
    "Bùi Thị Xuân",
    "Gia Định",
    "Marie Curie",
    "Nguyễn Thượng Hiền",
    "Lê Hồng Phong",
    "Nguyễn Du",
    "Võ Thị Sáu",
]
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ", "Đặng", "Bùi", "Đỗ", "Huỳnh"]
MIDDLE = ["Thị", "Văn", "Minh", "Ngọc", "Thanh", "Quốc", "Hoài", "Gia"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Khoa", "Linh", "Mai", "Nam", "Phúc", "Quân", "Trang", "Vy"]


def _grassroots_name(sector: str, index: int) -> str:
    if sector == S.UNIVERSITY:
        return f"Đoàn khoa {FACULTIES[index % len(FACULTIES)]}"
    if sector == S.SCHOOL:
        return f"Đoàn trường THPT {SCHOOLS[index % len(SCHOOLS)]}"
    if sector == S.RESIDENTIAL:
        return f"Đoàn cơ sở Khu phố {index + 1}"
    if sector == S.ENTERPRISE:
        return f"Đoàn cơ sở Công ty thành viên số {index + 1}"
    if sector == S.ARMED_FORCES:
        return f"Đoàn cơ sở Đơn vị {index + 1}"
    return f"Đoàn cơ sở Phòng {index + 1}"


def _branch_name(sector: str, grassroots_index: int, index: int) -> str:
    if sector == S.UNIVERSITY:
        return f"Chi đoàn lớp K{22 + index}-{grassroots_index + 1}"
    if sector == S.SCHOOL:
        return f"Chi đoàn lớp {10 + index % 3}A{grassroots_index + 1}"
    if sector == S.RESIDENTIAL:
        return f"Chi đoàn Tổ dân phố {index + 1}"
    return f"Chi đoàn {index + 1}"


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    unit_code: str | None
    role: str | None
    note: StrOrPromise


DEMO_USERS = [
    DemoUser("admin", "Quản trị hệ thống", None, None, _("superuser (Django admin)")),
    DemoUser(
        "thanhdoan",
        "Trần Minh Quân",
        ROOT_CODE,
        UnitRole.Role.STAFF,
        _("city staff: sees the whole tree, imports units"),
    ),
    DemoUser("bithu.thanhdoan", "Nguyễn Thị Thu Hà", ROOT_CODE, UnitRole.Role.SECRETARY, _("secretary, city level")),
    DemoUser(
        "bithu.phuongsaigon", "Lê Hoàng Nam", "HCM-PSG", UnitRole.Role.SECRETARY, _("secretary, upper-grassroots")
    ),
    DemoUser("bithu.khupho1", "Phạm Ngọc Linh", "HCM-PSG-01", UnitRole.Role.SECRETARY, _("secretary, grassroots")),
    DemoUser("bithu.chidoan", "Võ Thanh Vy", "HCM-PSG-01-1", UnitRole.Role.SECRETARY, _("secretary, branch")),
    DemoUser(
        "bithu.bachkhoa", "Đặng Quốc Khoa", "HCM-BK-01-1", UnitRole.Role.SECRETARY, _("secretary, branch elsewhere")
    ),
    DemoUser("xem.phuongsaigon", "Bùi Gia Châu", "HCM-PSG", UnitRole.Role.VIEWER, _("viewer of a ward union")),
]


def demo_unit_table(*, seed: int = 2026) -> Table:
    """The demo tree as an import table: 1 city, 24 upper, 120 grassroots, 480 branches."""
    rng = random.Random(seed)
    secretaries = {u.unit_code: u for u in DEMO_USERS if u.role == UnitRole.Role.SECRETARY}

    def row(code: str, name: str, parent: str, level: str, sector: str, members: int) -> dict[str, str]:
        sec = secretaries.get(code)
        return {
            "code": code,
            "name": name,
            "parent_code": parent,
            "level": level,
            "sector": sector,
            "member_count": str(members),
            "secretary_username": sec.username if sec else "",
            "secretary_full_name": sec.full_name if sec else "",
            "secretary_email": f"{sec.username}@demo.doanso.vn" if sec else "",
        }

    rows = [row(ROOT_CODE, "Thành Đoàn Thành phố Hồ Chí Minh", "", Unit.Level.CITY, S.AGENCY, 0)]
    for upper_code, upper_name, sector in UPPER_UNITS:
        rows.append(row(upper_code, upper_name, ROOT_CODE, Unit.Level.UPPER_GRASSROOTS, sector, 0))
        for g in range(5):
            g_code = f"{upper_code}-{g + 1:02d}"
            rows.append(
                row(g_code, _grassroots_name(sector, g), upper_code, Unit.Level.GRASSROOTS, sector, rng.randint(0, 5))
            )
            for b in range(4):
                low, high = (30, 45) if sector in (S.SCHOOL, S.UNIVERSITY) else (12, 60)
                rows.append(
                    row(
                        f"{g_code}-{b + 1}",
                        _branch_name(sector, g, b),
                        g_code,
                        Unit.Level.BRANCH,
                        sector,
                        rng.randint(low, high),
                    )
                )
    return Table(headers=list(COLUMNS), rows=[(i, r) for i, r in enumerate(rows, start=2)])


def _tree_admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=TREE_ADMIN_GROUP)
    codenames = [
        "add_unit",
        "change_unit",
        "view_unit",
        "add_unitrole",
        "change_unitrole",
        "delete_unitrole",
        "view_unitrole",
    ]
    group.permissions.set(Permission.objects.filter(content_type__app_label="units", codename__in=codenames))
    return group


@transaction.atomic
def seed_units() -> ImportPlan:
    """Load the demo tree and demo users. Idempotent."""
    plan = units_import(table=demo_unit_table())
    User = get_user_model()
    group = _tree_admin_group()
    for demo in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=demo.username, defaults={"full_name": demo.full_name, "email": f"{demo.username}@demo.doanso.vn"}
        )
        if created or not user.password or not user.has_usable_password():
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if demo.username == "admin" and not (user.is_superuser and user.is_staff):
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
        if demo.username == "thanhdoan":
            if not user.is_staff:
                user.is_staff = True
                user.save(update_fields=["is_staff"])
            user.groups.add(group)
        if demo.unit_code and demo.role:
            unitrole_grant(user=user, unit=Unit.objects.get(code=demo.unit_code), role=demo.role)
    # Totals are needed right away for the demo; the import also schedules the background task.
    unit_recompute_member_totals()
    return plan
