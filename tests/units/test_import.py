"""Unit import: whole-file validation with row numbers, all-or-nothing, idempotent re-import."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from doanso.lib.tabular import TabularError, read_table
from units.importing import plan_unit_import
from units.models import Unit, UnitRole
from units.services import ImportRejected, units_import

HEADER = "code,name,parent_code,level,sector,member_count,secretary_username,secretary_full_name,secretary_email\n"

VALID = HEADER + (
    "T,Thành Đoàn Test,,city,agency,0,,,\n"
    "T-A,Đoàn phường An Khánh,T,upper_grassroots,residential,0,bt.ankhanh,Lê Văn An,an@example.vn\n"
    "T-A-1,Đoàn cơ sở Khu phố 1,T-A,grassroots,residential,2,,,\n"
    "T-A-1-a,Chi đoàn Tổ 1,T-A-1,branch,residential,25,bt.to1,Trần Thị Bé,be@example.vn\n"
    "T-A-1-b,Chi đoàn Tổ 2,T-A-1,Chi đoàn,residential,18,,,\n"
    "T-B,Đoàn trường ĐH Test,T,Cấp trên trực tiếp cơ sở,Đại học,0,,,\n"
    "T-B-1,Đoàn khoa CNTT,T-B,grassroots,university,0,bt.to1,,\n"
)

# Nine mistakes on eight data rows (rows 2..9): every one must be reported with its row.
BROKEN = HEADER + (
    "X,Gốc,,city,agency,0,,,\n"  # row 2: fine
    "X-A,Quận A,X-NOPE,upper_grassroots,residential,0,,,\n"  # row 3: unknown parent
    "X-B,Quận B,X,planet,residential,0,,,\n"  # row 4: unknown level
    "X-C,Quận C,X,upper_grassroots,galaxy,-5,,,\n"  # row 5: unknown sector + negative count
    "X-A,Quận A lần hai,X,upper_grassroots,residential,0,,,\n"  # row 6: duplicate code
    "X-D,Vòng 1,X-E,grassroots,residential,0,,,\n"  # row 7: cycle with row 8
    "X-E,Vòng 2,X-D,grassroots,residential,0,,,\n"  # row 8: cycle with row 7
    "X-F,Chi đoàn F,X,branch,residential,10,bt.f,Ng F,not-an-email\n"  # row 9: bad e-mail
)


def table(text: str):
    return read_table(text.encode("utf-8"))


def snapshot():
    units = list(Unit.objects.order_by("code").values_list("code", "name", "path", "level", "sector", "member_count"))
    users = list(get_user_model().objects.order_by("username").values_list("username", "email", "full_name"))
    roles = list(UnitRole.objects.order_by("pk").values_list("user__username", "unit__code", "role"))
    return units, users, roles


@pytest.fixture
def staff_user(db):
    user = get_user_model().objects.create_user("tree-admin", password="pw-long-enough-1", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["add_unit", "change_unit", "add_unitrole"], content_type__app_label="units"
        )
    )
    return get_user_model().objects.get(pk=user.pk)


def test_every_mistake_is_reported_with_its_row_and_nothing_is_written(db):
    before = snapshot()
    with pytest.raises(ImportRejected) as caught:
        units_import(table=table(BROKEN))
    found = {(e.row, e.column) for e in caught.value.row_errors}
    assert found == {
        (3, "parent_code"),
        (4, "level"),
        (5, "sector"),
        (5, "member_count"),
        (6, "code"),
        (7, "parent_code"),
        (8, "parent_code"),
        (9, "secretary_email"),
    }
    messages = {e.row: e.message for e in caught.value.row_errors}
    assert "X-NOPE" in messages[3]
    assert "dòng 3" in messages[6] or "row 3" in messages[6]
    assert snapshot() == before


def test_a_valid_file_imports_the_tree_with_secretaries(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        plan = units_import(table=table(VALID))
    assert plan.summary == {
        "created": 7,
        "updated": 0,
        "moved": 0,
        "unchanged": 0,
        "users_created": 2,
        "roles_granted": 3,
        "roles_ended": 0,
    }
    t_a_1_b = Unit.objects.get(code="T-A-1-b")
    assert t_a_1_b.level == Unit.Level.BRANCH  # "Chi đoàn" accepted as the Vietnamese name
    assert Unit.objects.get(code="T-B").level == Unit.Level.UPPER_GRASSROOTS
    assert Unit.objects.get(code="T-B").sector == Unit.Sector.UNIVERSITY
    assert [a.code for a in Unit.objects.get_ancestors(t_a_1_b)] == ["T", "T-A", "T-A-1"]
    secretary = get_user_model().objects.get(username="bt.to1")
    assert secretary.email == "be@example.vn" and secretary.full_name == "Trần Thị Bé"
    assert not secretary.has_usable_password()
    assert set(UnitRole.objects.filter(user=secretary).values_list("unit__code", "role")) == {
        ("T-A-1-a", "secretary"),
        ("T-B-1", "secretary"),
    }
    # Subtree member totals were recomputed after commit (eager Celery here, a worker in CI).
    assert Unit.objects.get(code="T").subtree_member_count == 45
    assert Unit.objects.get(code="T-A-1").subtree_member_count == 45


def test_importing_the_same_file_twice_changes_nothing(db):
    units_import(table=table(VALID))
    before = snapshot()
    plan = units_import(table=table(VALID))
    assert plan.summary["unchanged"] == 7
    assert not plan.changes_anything
    assert snapshot() == before


def test_rows_update_units_by_code_and_can_move_them(db, django_capture_on_commit_callbacks):
    units_import(table=table(VALID))
    changed = VALID.replace(
        "T-A-1-b,Chi đoàn Tổ 2,T-A-1,Chi đoàn,residential,18", "T-A-1-b,Chi đoàn Tổ Hai,T-B-1,branch,university,19"
    )
    with django_capture_on_commit_callbacks(execute=True):
        plan = units_import(table=table(changed))
    assert plan.summary["updated"] == 1 and plan.summary["moved"] == 1
    unit = Unit.objects.get(code="T-A-1-b")
    assert (unit.name, unit.sector, unit.member_count) == ("Chi đoàn Tổ Hai", "university", 19)
    assert Unit.objects.get_parent(unit).code == "T-B-1"
    assert Unit.objects.get(code="T-A").subtree_member_count == 27
    assert Unit.objects.get(code="T-B").subtree_member_count == 19
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_a_file_that_swaps_parent_and_child_is_applied_in_the_right_order(db):
    units_import(table=table(VALID))
    # T-A-1 becomes the parent of T-A, both under T.
    swapped = (
        HEADER
        + "T-A-1,Đoàn cơ sở Khu phố 1,T,grassroots,residential,2,,,\n"
        + "T-A,Đoàn phường An Khánh,T-A-1,grassroots,residential,0,,,\n"
    )
    units_import(table=table(swapped))
    assert Unit.objects.get_parent(Unit.objects.get(code="T-A")).code == "T-A-1"
    assert Unit.objects.get_parent(Unit.objects.get(code="T-A-1")).code == "T"
    assert Unit.objects.find_problems() == ([], [], [], [], [])


def test_moving_a_unit_under_its_own_descendant_is_a_cycle(db):
    units_import(table=table(VALID))
    with pytest.raises(ImportRejected) as caught:
        units_import(table=table(HEADER + "T-A,Đoàn phường An Khánh,T-A-1,upper_grassroots,residential,0,,,\n"))
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(2, "parent_code")]


def test_units_cannot_go_under_a_branch_and_city_only_at_the_top(db):
    units_import(table=table(VALID))
    bad = HEADER + "T-Z,Tổ Z,T-A-1-a,branch,residential,3,,,\nT-Y,Thành Đoàn khác,T,city,agency,0,,,\n"
    with pytest.raises(ImportRejected) as caught:
        units_import(table=table(bad))
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(2, "parent_code"), (3, "level")]


def test_missing_and_unknown_columns_are_reported(db):
    plan = plan_unit_import(table("code,name,level,membercount\nA,B,city,3\n"))
    assert [(e.row, e.column) for e in plan.errors] == [(1, "parent_code"), (1, "membercount")]


def test_existing_users_are_not_modified_by_secretary_columns(db):
    existing = get_user_model().objects.create_user(
        "bt.ankhanh", email="An@Example.vn", full_name="Tên Cũ", password="pw-long-enough-1"
    )
    units_import(table=table(VALID))  # the same address (another case), another name: that account
    existing.refresh_from_db()
    assert (existing.email, existing.full_name) == ("An@example.vn", "Tên Cũ")  # create_user lower-cases the domain
    assert existing.has_usable_password()
    assert UnitRole.objects.filter(user=existing, unit__code="T-A", role="secretary").exists()


def test_the_same_secretary_with_conflicting_details_is_an_error(db):
    bad = VALID.replace(
        "T-B-1,Đoàn khoa CNTT,T-B,grassroots,university,0,bt.to1,,",
        "T-B-1,Đoàn khoa CNTT,T-B,grassroots,university,0,bt.to1,,other@example.vn",
    )
    with pytest.raises(ImportRejected) as caught:
        units_import(table=table(bad))
    assert [(e.row, e.column) for e in caught.value.row_errors] == [(8, "secretary_username")]


def test_xlsx_files_import_like_csv(db):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for line in VALID.strip().splitlines():
        cells = line.split(",")
        sheet.append([int(c) if c.isdigit() else c for c in cells])
    buffer = io.BytesIO()
    workbook.save(buffer)
    plan = units_import(table=read_table(buffer.getvalue()))
    assert plan.summary["created"] == 7
    assert Unit.objects.get(code="T-A-1-a").member_count == 25


def test_semicolon_csv_from_excel_and_blank_lines_are_read(db):
    text = VALID.replace(",", ";").replace("\n", "\n\n", 1)
    assert plan_unit_import(table(text)).is_valid


def test_unreadable_files_get_a_clear_message():
    with pytest.raises(TabularError):
        read_table(b"")
    with pytest.raises(TabularError, match="UTF-8"):
        read_table("code,name\nA,Đoàn\n".encode("cp1258"))
    with pytest.raises(TabularError):
        read_table(b"PK\x03\x04 not really a zip")


# --- The management command -------------------------------------------------------------------


def test_command_lists_every_mistake_and_writes_nothing(db, tmp_path: Path, capsys):
    path = tmp_path / "broken.csv"
    path.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_units", str(path))
    err = capsys.readouterr().err
    for row in (3, 4, 5, 6, 7, 8, 9):
        assert f" {row}" in err
    assert Unit.objects.count() == 0


def test_command_dry_run_writes_nothing_and_a_real_run_imports(db, tmp_path: Path, capsys):
    path = tmp_path / "units.csv"
    path.write_text(VALID, encoding="utf-8")
    call_command("import_units", str(path), "--dry-run")
    assert Unit.objects.count() == 0
    call_command("import_units", str(path))
    assert Unit.objects.count() == 7
    call_command("import_units", str(path))
    out = capsys.readouterr().out.strip().splitlines()
    assert "7" in out[-1] and Unit.objects.count() == 7


# --- The upload page ----------------------------------------------------------------------------


def upload(client, text: str, name: str = "units.csv"):
    return client.post(reverse("units:import"), {"file": SimpleUploadedFile(name, text.encode("utf-8"), "text/csv")})


@pytest.mark.parametrize("persona", ["editor", "viewer", "outsider", "reviewer", "city_staff"])
def test_upload_page_is_for_tree_administrators_only(personas, client_for, persona):
    client = client_for(getattr(personas, persona))
    assert client.get(reverse("units:import")).status_code == 403
    assert upload(client, VALID).status_code == 403
    assert not Unit.objects.filter(code="T").exists()


def test_upload_page_redirects_anonymous_visitors_to_login(db, client):
    response = client.get(reverse("units:import"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_upload_shows_every_problem_and_writes_nothing(staff_user, client_for):
    response = upload(client_for(staff_user), BROKEN)
    assert response.status_code == 200
    plan = response.context["plan"]
    assert len(plan.errors) == 8
    assert "token" not in response.context
    assert Unit.objects.count() == 0


def test_upload_preview_then_confirm_imports(staff_user, client_for):
    client = client_for(staff_user)
    preview = upload(client, VALID)
    assert preview.context["plan"].summary["created"] == 7
    assert Unit.objects.count() == 0  # preview writes nothing
    response = client.post(reverse("units:import_confirm"), {"token": preview.context["token"]}, follow=True)
    assert response.status_code == 200
    assert Unit.objects.count() == 7
    assert "7" in str(next(iter(response.context["messages"])))
    # The token is single use.
    again = client.post(reverse("units:import_confirm"), {"token": preview.context["token"]})
    assert again.status_code == 302 and Unit.objects.count() == 7


def test_a_token_from_another_session_is_refused(staff_user, client_for, django_user_model):
    token = upload(client_for(staff_user), VALID).context["token"]
    other = client_for(staff_user)  # same user, different session
    response = other.post(reverse("units:import_confirm"), {"token": token})
    assert response.status_code == 302
    assert Unit.objects.count() == 0


def test_confirm_after_the_tree_changed_reports_a_conflict_and_writes_nothing(staff_user, client_for):
    from units.services import unit_close

    parent = Unit.objects.add_root(create_kwargs={"code": "P", "name": "Đoàn P", "level": "upper_grassroots"})
    client = client_for(staff_user)
    token = upload(client, HEADER + "P-1,Cơ sở P1,P,grassroots,residential,3,,,\n").context["token"]
    unit_close(unit=parent)  # meanwhile, someone closes the parent
    response = client.post(reverse("units:import_confirm"), {"token": token})
    assert response.status_code == 409
    assert [(e.row, e.column) for e in response.context["plan"].errors] == [(2, "parent_code")]
    assert not Unit.objects.filter(code="P-1").exists()


def test_an_existing_account_named_with_another_e_mail_is_refused_on_its_row(db):
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_user(username="bithu.moi", email="moi@example.vn", full_name="Lê Thị Mới")
    text = HEADER + "HCM,Thành Đoàn,,city,agency,10,bithu.moi,Người Khác,khac@example.vn\n"
    with pytest.raises(ImportRejected) as refused:
        units_import(table=table(text))
    assert [(e.row, e.column) for e in refused.value.row_errors] == [(2, "secretary_email")]
    assert not Unit.objects.exists()
    same = HEADER + "HCM,Thành Đoàn,,city,agency,10,bithu.moi,Le Thi Moi,MOI@example.vn\n"
    units_import(table=table(same))  # the same address (any case), another spelling of the name: fine
    assert Unit.objects.filter(code="HCM").exists()
