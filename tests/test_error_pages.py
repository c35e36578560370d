"""Error pages a person reads: styled, in their language, never a bare "403 Forbidden"."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

pytestmark = pytest.mark.django_db


def _login(user, language: str | None = None) -> Client:
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.mark.parametrize("language, text", [(None, "Halaman tidak ditemukan"), ("en", "Page not found")])
def test_an_unknown_page_is_the_styled_404_in_the_readers_language(ref, operator, language, text):
    response = _login(operator, language).get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert text in html and 'class="topbar"' in html and "Not Found</h1>" not in html


@pytest.mark.parametrize("language, text", [(None, "Anda tidak diizinkan membuka halaman ini"), ("en", "You may not open this page")])
def test_a_page_the_role_may_not_open_is_the_styled_403(ref, make_user, language, text):
    staff = make_user("agency", agency="DAMKAR")
    response = _login(staff, language).get("/routing/")
    assert response.status_code == 403
    html = response.content.decode()
    assert text in html and "403 Forbidden" not in html


def test_the_500_page_renders_without_a_request_in_both_languages():
    with translation.override("id"):
        assert "Terjadi kesalahan pada server" in render_to_string("500.html")
    with translation.override("en"):
        assert "Something went wrong on the server" in render_to_string("500.html")


def test_favicon_ico_leads_to_the_icon_the_pages_link(ref, client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in client.get("/login/").content.decode()
