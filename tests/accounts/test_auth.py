"""Login, logout, password change and reset — in Vietnamese by default."""

import re

from django.core import mail
from django.urls import reverse


def test_login_page_is_in_vietnamese_by_default(client, db):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="vi">' in body
    assert "Đăng nhập" in body
    assert "Tên đăng nhập" in body  # Django's own field label, from its Vietnamese catalogue


def test_vietnamese_even_when_the_phone_asks_for_english(client, db):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="vi">' in response.content.decode()


def test_english_is_available_through_the_switch(client, db):
    client.cookies["django_language"] = "en"
    response = client.get(reverse("accounts:login"))
    assert '<html lang="en">' in response.content.decode()
    assert "Log in" in response.content.decode()


def test_language_switch_sets_the_language(client, db):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("accounts:login")}, follow=True)
    assert '<html lang="en">' in response.content.decode()


def test_login_with_the_right_password_and_logout(personas, client, password):
    response = client.post(reverse("accounts:login"), {"username": "editor", "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_login_with_a_wrong_password_explains_in_vietnamese(personas, client):
    response = client.post(reverse("accounts:login"), {"username": "editor", "password": "nope"})
    assert response.status_code == 200
    assert "mật khẩu chính xác" in response.content.decode()  # Django's Vietnamese message


def test_password_change(personas, client_for, password):
    client = client_for(personas.editor)
    assert client.get(reverse("accounts:password_change")).status_code == 200
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": password, "new_password1": "Mat-khau-moi-2026", "new_password2": "Mat-khau-moi-2026"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:password_change_done")
    personas.editor.refresh_from_db()
    assert personas.editor.check_password("Mat-khau-moi-2026")


def test_password_change_needs_login(client, db):
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_password_reset_mails_a_working_link(personas, client):
    response = client.post(reverse("accounts:password_reset"), {"email": personas.editor.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [personas.editor.email]
    assert "mật khẩu" in message.subject.lower()
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200 and form_page.context["validlink"]
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Mot-mat-khau-moi-9", "new_password2": "Mot-mat-khau-moi-9"}
    )
    assert response.status_code == 302
    personas.editor.refresh_from_db()
    assert personas.editor.check_password("Mot-mat-khau-moi-9")


def test_password_reset_for_an_unknown_address_reveals_nothing(db, client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.vn"})
    assert response.status_code == 302
    assert mail.outbox == []
