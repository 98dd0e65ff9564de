"""Unit import: read and validate a whole file before anything is written.

``plan_unit_import`` turns a :class:`~doanso.lib.tabular.Table` into an :class:`ImportPlan`: every
problem with its row number, and for a valid file what each row will do. The write happens in
``units.services.units_import`` from a plan without errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import translation
from django.utils.translation import gettext as _

from doanso.lib.tabular import Table
from doanso.lib.text import parse_count, search_key

from .models import Unit, UnitRole, unit_code_validator

COLUMNS = (
    "code",
    "name",
    "parent_code",
    "level",
    "sector",
    "member_count",
    "secretary_username",
    "secretary_full_name",
    "secretary_email",
)
REQUIRED_COLUMNS = ("code", "name", "parent_code", "level")

# Vietnamese words people type in spreadsheets, besides the codes and the UI labels.
LEVEL_ALIASES = {
    "thanh doan": Unit.Level.CITY,
    "tinh doan": Unit.Level.CITY,
    "cap tinh": Unit.Level.CITY,
    "cap tren truc tiep co so": Unit.Level.UPPER_GRASSROOTS,
    "cap tren co so": Unit.Level.UPPER_GRASSROOTS,
    "co so": Unit.Level.GRASSROOTS,
    "doan co so": Unit.Level.GRASSROOTS,
    "chi doan co so": Unit.Level.GRASSROOTS,
    "chi doan": Unit.Level.BRANCH,
}
SECTOR_ALIASES = {
    "dia ban dan cu": Unit.Sector.RESIDENTIAL,
    "phuong xa": Unit.Sector.RESIDENTIAL,
    "truong hoc": Unit.Sector.SCHOOL,
    "hoc sinh": Unit.Sector.SCHOOL,
    "dai hoc": Unit.Sector.UNIVERSITY,
    "sinh vien": Unit.Sector.UNIVERSITY,
    "doanh nghiep": Unit.Sector.ENTERPRISE,
    "cong nhan": Unit.Sector.ENTERPRISE,
    "co quan": Unit.Sector.AGENCY,
    "cong chuc": Unit.Sector.AGENCY,
    "luc luong vu trang": Unit.Sector.ARMED_FORCES,
    "vu trang": Unit.Sector.ARMED_FORCES,
    "khac": Unit.Sector.OTHER,
}


def _choice_lookup(choices: type[Unit.Level] | type[Unit.Sector], aliases: Mapping[str, str]) -> dict[str, str]:
    lookup = {search_key(k): v for k, v in aliases.items()}
    for value, label in choices.choices:
        lookup[search_key(value)] = value
        lookup[search_key(value.replace("_", " "))] = value
        for language in ("vi", "en"):
            with translation.override(language):
                lookup[search_key(str(label))] = value
    return lookup


@dataclass
class RowError:
    row: int
    column: str | None
    message: str

    def __str__(self) -> str:
        where = _("row %(row)d") % {"row": self.row}
        if self.column:
            where += f", {self.column}"
        return f"{where}: {self.message}"


@dataclass
class UnitRow:
    row: int
    code: str
    name: str
    parent_code: str
    level: str
    sector: str | None  # None: keep the existing unit's sector (new units: "other")
    member_count: int | None  # None: keep the existing unit's count (new units: 0)
    secretary_username: str = ""
    secretary_full_name: str = ""
    secretary_email: str = ""
    action: str = ""  # create | update | move | update_move | unchanged


@dataclass
class ImportPlan:
    rows: list[UnitRow] = field(default_factory=list)  # parents before children
    errors: list[RowError] = field(default_factory=list)
    users_to_create: list[str] = field(default_factory=list)
    roles_to_grant: int = 0
    roles_to_end: int = 0  # current secretaries of units whose row names someone else
    # Filled by the import once it has committed (see units.services.units_import).
    invitees: dict[int, str] = field(default_factory=dict)  # user id → unit named in the invitation
    invitations_done: bool = False
    invitations_sent: list[str] = field(default_factory=list)  # user names
    invitations_failed: list[str] = field(default_factory=list)  # the mail server refused or was down
    invitations_without_email: list[str] = field(default_factory=list)  # to be printed from the unit page

    @property
    def is_valid(self) -> bool:
        return not self.errors

    def count(self, *actions: str) -> int:
        return sum(1 for r in self.rows if r.action in actions)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "created": self.count("create"),
            "updated": self.count("update", "update_move"),
            "moved": self.count("move", "update_move"),
            "unchanged": self.count("unchanged"),
            "users_created": len(self.users_to_create),
            "roles_granted": self.roles_to_grant,
            "roles_ended": self.roles_to_end,
        }

    @property
    def changes_anything(self) -> bool:
        return any(r.action != "unchanged" for r in self.rows) or bool(
            self.users_to_create or self.roles_to_grant or self.roles_to_end
        )


def _parse_rows(table: Table, errors: list[RowError]) -> list[UnitRow]:
    missing = [c for c in REQUIRED_COLUMNS if c not in table.headers]
    unknown = [h for h in table.headers if h and h not in COLUMNS]
    for column in missing:
        errors.append(RowError(1, column, _("Required column “%(column)s” is missing.") % {"column": column}))
    for column in unknown:
        errors.append(
            RowError(
                1,
                column,
                _("Unknown column “%(column)s”. Allowed columns: %(allowed)s.")
                % {"column": column, "allowed": ", ".join(COLUMNS)},
            )
        )
    if missing:
        return []
    if not table.rows:
        errors.append(RowError(2, None, _("The file has a header but no data rows.")))
        return []

    levels = _choice_lookup(Unit.Level, LEVEL_ALIASES)
    sectors = _choice_lookup(Unit.Sector, SECTOR_ALIASES)
    username_validator = get_user_model().username_validator
    parsed: list[UnitRow] = []
    for number, cells in table.rows:
        row_errors: list[RowError] = []

        def err(
            column: str | None, message: str, number: int = number, row_errors: list[RowError] = row_errors
        ) -> None:
            row_errors.append(RowError(number, column, message))

        code = cells.get("code", "")
        if not code:
            err("code", _("The unit code is empty."))
        else:
            try:
                unit_code_validator(code)
            except ValidationError as exc:
                err("code", " ".join(exc.messages))
            if len(code) > 32:
                err("code", _("The unit code is longer than 32 characters."))
        name = cells.get("name", "")
        if not name:
            err("name", _("The unit name is empty."))
        elif len(name) > 255:
            err("name", _("The unit name is longer than 255 characters."))
        raw_level = cells.get("level", "")
        level = levels.get(search_key(raw_level), "")
        if not raw_level:
            err("level", _("The level is empty."))
        elif not level:
            err(
                "level",
                _("Unknown level “%(value)s”. Use one of: %(allowed)s.")
                % {"value": raw_level, "allowed": ", ".join(Unit.Level.values)},
            )
        raw_sector = cells.get("sector", "")
        sector: str | None = None
        if raw_sector:
            sector = sectors.get(search_key(raw_sector))
            if sector is None:
                err(
                    "sector",
                    _("Unknown sector “%(value)s”. Use one of: %(allowed)s.")
                    % {"value": raw_sector, "allowed": ", ".join(Unit.Sector.values)},
                )
        raw_count = cells.get("member_count", "").replace(" ", "")
        member_count: int | None = None
        if raw_count:
            try:
                member_count = parse_count(raw_count)
            except ValueError:
                err("member_count", _("“%(value)s” is not a whole number of members.") % {"value": raw_count})
            else:
                if member_count < 0:
                    err(
                        "member_count",
                        _("The number of members cannot be negative (%(value)s).") % {"value": raw_count},
                    )
        username = cells.get("secretary_username", "")
        full_name = cells.get("secretary_full_name", "")
        email = cells.get("secretary_email", "")
        if username:
            try:
                username_validator(username)
            except ValidationError as exc:
                err("secretary_username", " ".join(exc.messages))
            if len(username) > 150:
                err("secretary_username", _("The user name is longer than 150 characters."))
        elif full_name or email:
            err("secretary_username", _("A secretary's name or e-mail is given but the user name is empty."))
        if email:
            try:
                validate_email(email)
            except ValidationError:
                err("secretary_email", _("“%(value)s” is not a valid e-mail address.") % {"value": email})
        if len(full_name) > 150:
            err("secretary_full_name", _("The full name is longer than 150 characters."))

        errors.extend(row_errors)
        parsed.append(
            UnitRow(
                row=number,
                code=code,
                name=name,
                parent_code=cells.get("parent_code", ""),
                level=level,
                sector=sector,
                member_count=member_count,
                secretary_username=username,
                secretary_full_name=full_name,
                secretary_email=email,
            )
        )
    return parsed


def _parent_code_of(path: str, code_by_path: dict[str, str]) -> str:
    return code_by_path.get(path[: -Unit.steplen], "") if len(path) > Unit.steplen else ""


def plan_unit_import(table: Table) -> ImportPlan:
    """Validate the whole table against itself and the database; decide what each row does."""
    plan = ImportPlan()
    rows = _parse_rows(table, plan.errors)
    if not rows:
        return plan

    # Duplicates inside the file.
    first_row_of: dict[str, int] = {}
    unique_rows: list[UnitRow] = []
    for r in rows:
        if not r.code:
            continue
        if r.code in first_row_of:
            plan.errors.append(
                RowError(
                    r.row,
                    "code",
                    _("Unit code “%(code)s” already appears on row %(first)d.")
                    % {"code": r.code, "first": first_row_of[r.code]},
                )
            )
            continue
        first_row_of[r.code] = r.row
        unique_rows.append(r)
    by_code = {r.code: r for r in unique_rows}

    # The current tree, as codes (one query; 36k units is a few MB at most).
    existing = {
        code: (path, level, name, sector, member_count, is_active)
        for code, path, level, name, sector, member_count, is_active in Unit.objects.values_list(
            "code", "path", "level", "name", "sector", "member_count", "is_active"
        )
    }
    code_by_path = {v[0]: code for code, v in existing.items()}

    def final_parent(code: str) -> str:
        if code in by_code:
            return by_code[code].parent_code
        return _parent_code_of(existing[code][0], code_by_path)

    def final_level(code: str) -> str:
        if code in by_code:
            return by_code[code].level
        return existing[code][1]

    for r in unique_rows:
        if not r.parent_code:
            continue
        if r.parent_code == r.code:
            plan.errors.append(RowError(r.row, "parent_code", _("A unit cannot be its own parent.")))
            continue
        if r.parent_code not in by_code and r.parent_code not in existing:
            plan.errors.append(
                RowError(
                    r.row,
                    "parent_code",
                    _("Parent unit “%(code)s” is neither in this file nor in the system.") % {"code": r.parent_code},
                )
            )
            continue
        if r.parent_code in existing and r.parent_code not in by_code and not existing[r.parent_code][5]:
            plan.errors.append(
                RowError(r.row, "parent_code", _("Parent unit “%(code)s” is closed.") % {"code": r.parent_code})
            )
        parent_level = final_level(r.parent_code)
        if parent_level == Unit.Level.BRANCH:
            plan.errors.append(
                RowError(
                    r.row,
                    "parent_code",
                    _("Parent unit “%(code)s” is a branch; branches cannot have units under them.")
                    % {"code": r.parent_code},
                )
            )
        if r.level == Unit.Level.CITY:
            plan.errors.append(
                RowError(r.row, "level", _("A city union must be at the top of the tree (empty parent_code)."))
            )

    # Cycles in the tree the file would produce (file rows override the current parents).
    depth_of: dict[str, int] = {}
    in_cycle: set[str] = set()
    for r in unique_rows:
        chain: list[str] = []
        code = r.code
        while code and code not in depth_of:
            if code in chain:
                in_cycle.update(chain[chain.index(code) :])
                break
            chain.append(code)
            if code not in by_code and code not in existing:
                break  # unknown parent, reported above
            code = final_parent(code)
        base = depth_of.get(code, 0) if code else 0
        for offset, c in enumerate(reversed(chain), start=1):
            depth_of.setdefault(c, base + offset)
    for r in unique_rows:
        if r.code in in_cycle:
            plan.errors.append(
                RowError(
                    r.row,
                    "parent_code",
                    _("Unit “%(code)s” would end up under itself (a cycle through parent_code).") % {"code": r.code},
                )
            )

    # Secretaries: the same user name must describe the same person on every row.
    User = get_user_model()
    seen_user: dict[str, UnitRow] = {}
    for r in unique_rows:
        if not r.secretary_username:
            continue
        first = seen_user.setdefault(r.secretary_username, r)
        if first is not r and (
            (r.secretary_email and first.secretary_email and r.secretary_email.lower() != first.secretary_email.lower())
            or (
                r.secretary_full_name
                and first.secretary_full_name
                and r.secretary_full_name != first.secretary_full_name
            )
        ):
            plan.errors.append(
                RowError(
                    r.row,
                    "secretary_username",
                    _("User “%(username)s” has a different name or e-mail on row %(first)d.")
                    % {"username": r.secretary_username, "first": first.row},
                )
            )

    # An existing account named with another e-mail address is most likely a mistyped user name:
    # the role would go to the wrong person, silently. (A different spelling of the name is not
    # refused: names are written with and without diacritics.)
    emails = {
        u: e.lower() for u, e in User.objects.filter(username__in=list(seen_user)).values_list("username", "email") if e
    }
    for username, first in seen_user.items():
        if first.secretary_email and username in emails and first.secretary_email.lower() != emails[username]:
            plan.errors.append(
                RowError(
                    first.row,
                    "secretary_email",
                    _(
                        "The account “%(username)s” already exists with another e-mail address; check the user "
                        "name (or leave the e-mail empty to name that account)."
                    )
                    % {"username": username},
                )
            )

    plan.errors.sort(key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
    if plan.errors:
        return plan

    # Valid: decide each row's action and order parents first.
    for r in unique_rows:
        if r.code not in existing:
            r.action = "create"
            continue
        path, level, name, sector, member_count, _active = existing[r.code]
        changed = (
            r.name != name
            or r.level != level
            or (r.sector is not None and r.sector != sector)
            or (r.member_count is not None and r.member_count != member_count)
        )
        moved = r.parent_code != _parent_code_of(path, code_by_path)
        r.action = {
            (False, False): "unchanged",
            (True, False): "update",
            (False, True): "move",
            (True, True): "update_move",
        }[(changed, moved)]
    plan.rows = sorted(unique_rows, key=lambda r: (depth_of[r.code], r.row))

    usernames = set(seen_user)
    known = set(User.objects.filter(username__in=usernames).values_list("username", flat=True))
    plan.users_to_create = sorted(usernames - known)
    # Current secretaries of the units whose row names one: the named person keeps (or gets) the
    # role, anyone else hands it over (their role ends; the row stays for the record).
    named = {r.code: r.secretary_username for r in unique_rows if r.secretary_username}
    held = set(
        UnitRole.objects.current()
        .filter(role=UnitRole.Role.SECRETARY, unit__code__in=named)
        .values_list("user__username", "unit__code")
    )
    plan.roles_to_grant = sum(1 for code, username in named.items() if (username, code) not in held)
    plan.roles_to_end = sum(1 for username, code in held if named[code] != username)
    return plan
