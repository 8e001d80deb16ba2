"""Settings are documented, and errors reach users as Chinese pages, never tracebacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]


def test_every_environment_variable_is_documented_in_env_example():
    settings_text = (ROOT / "config" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z_][A-Z0-9_]*)"', settings_text))
    documented = set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(encoding="utf-8"), re.M))
    assert read, "no env() calls found: the pattern no longer matches settings.py"
    assert read - documented == set(), f"undocumented in .env.example: {sorted(read - documented)}"


def _boom(request):
    raise RuntimeError("secret internals: table org_region")


def _ok(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/", _boom), path("ok/", _ok)]
from config.urls import handler404, handler500  # noqa: E402,F401  (the portal's own error pages)


@pytest.mark.django_db
def test_a_crash_shows_the_chinese_500_page_without_internals(client, settings):
    settings.ROOT_URLCONF = __name__
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    text = response.content.decode()
    assert "系统出错" in text
    assert "secret internals" not in text and "Traceback" not in text and "RuntimeError" not in text


@pytest.mark.django_db
def test_an_unknown_page_shows_the_chinese_404_page(world, login, settings):
    settings.DEBUG = False
    response = login(world.clerk_a).get("/no/such/page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


# --- form errors shown once ----------------------------------------------------------------


def test_crispy_shows_a_form_wide_error_once():
    """A form-wide error (e.g. "modified by someone else") is crispy's to show, tag and filter alike…"""
    from crispy_forms.helper import FormHelper
    from django import forms
    from django.template import Context, Template

    class F(forms.Form):
        name = forms.CharField()

        def clean(self):
            raise forms.ValidationError("整张表单的错误")

    form = F(data={"name": "x"})
    form.helper = FormHelper()
    form.helper.form_tag = False
    assert not form.is_valid()
    for source in ("{% crispy form %}", "{{ form|crispy }}"):
        html = Template("{% load crispy_forms_tags %}" + source).render(Context({"form": form}))
        assert html.count("整张表单的错误") == 1, source


def test_no_crispy_template_repeats_non_field_errors():
    """…so a page that renders its form with crispy must not print them a second time."""
    root = Path(__file__).resolve().parents[2] / "templates"
    twice = [
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if re.search(r"\{% crispy |\|crispy \}\}", text := p.read_text(encoding="utf-8")) and "non_field_errors" in text
    ]
    assert twice == []
