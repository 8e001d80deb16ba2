"""Two clerks editing the same record: the later save is told, never silently overwriting
(issue 7, faults). Optimistic concurrency lives in the edit base, org.mixins.ScopedUpdateView,
with its helpers in org.concurrency.

The generic tests walk the URLconf for every edit page built on ScopedUpdateView (a new one
is covered without editing this file), build a row in township A with the factories of
tests/factories.py, and drive the page as two browsers of the same clerk would.
"""

from __future__ import annotations

import datetime
import decimal
import re

import pytest
from django import forms
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import get_resolver, reverse
from django.utils.html import escape

from assessments.models import PointRule
from org import concurrency
from org.mixins import ScopedUpdateView
from tests.factories import SCOPED_FACTORIES, DeputyFactory, PointRuleFactory
from tests.org.urlwalk import walk

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
CONFLICT = "此记录在您打开后已被他人修改"
TOKEN_RE = re.compile(r'name="_row_version" value="([^"]+)"')

EDIT_ROUTES = [
    r for r in walk(get_resolver().url_patterns) if r.view_class and issubclass(r.view_class, ScopedUpdateView)
]
# Fields whose text a clerk would plausibly retouch, tried first; then any free-text field.
PREFERRED_TEXT = ("note", "summary", "comment", "content", "place", "topic", "title", "name", "work_unit")
NOT_FREE_TEXT = {"id_number", "phone", "code"}


def test_the_walk_finds_the_edit_pages():
    names = {r.name for r in EDIT_ROUTES}
    assert {"deputies:deputy-update", "congress:meeting-update", "stations:reception-update"} <= names, names
    assert all(r.kwargs == ("pk",) for r in EDIT_ROUTES), [r.test_id for r in EDIT_ROUTES if r.kwargs != ("pk",)]


# --- helpers ---------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user, backend=LOGIN_BACKEND)
    return client


def _post_value(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else None
    if isinstance(value, (datetime.date, datetime.time, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value]
    return str(value)


def form_data(response) -> dict:
    """What the browser would send back for the page as shown: every field's value, the
    formsets' management forms and the hidden row version."""
    data = {}
    form = response.context["form"]
    for bound in form:
        if isinstance(bound.field, forms.FileField):
            continue
        value = _post_value(bound.value())
        if value is not None:
            data[bound.html_name] = value
    formset = response.context.get("formset")
    if isinstance(formset, forms.BaseFormSet):
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = str(value)
    match = TOKEN_RE.search(response.content.decode())
    assert match, f"{response.wsgi_request.path}: the edit page has no hidden {concurrency.FIELD_NAME} input"
    data[concurrency.FIELD_NAME] = match.group(1)
    return data


def edits(form, data) -> tuple[str, str, str]:
    """(field, what the first clerk types, what the second types): a free-text field when
    the form has one, else a date moved by a day or two."""
    free = [
        name
        for name, field in form.fields.items()
        if type(field) is forms.CharField and not field.widget.is_hidden and name not in NOT_FREE_TEXT
    ]
    for name in [n for n in PREFERRED_TEXT if n in free] + free:
        return name, f"{data.get(name, '')}甲改", f"{data.get(name, '')}乙改动"
    for name, field in form.fields.items():
        if isinstance(field, forms.DateField) and data.get(name):
            day = datetime.date.fromisoformat(data[name])
            return name, str(day + datetime.timedelta(days=1)), str(day + datetime.timedelta(days=2))
    pytest.fail(f"{type(form).__name__}: no text or date field to change", pytrace=False)


def open_form(route, row, world):
    """(client, GET response) of the first persona who gets the edit form: the township-A
    clerk, or county staff for the county's own pages."""
    url = reverse(route.name, kwargs={"pk": row.pk})
    for user in (world.clerk_a, world.county_admin):
        client = client_for(user)
        response = client.get(url)
        if response.status_code == 200 and response.context and response.context.get("form") is not None:
            return user, url
    pytest.fail(f"{url}: neither the township-A clerk nor county staff gets an edit form", pytrace=False)


# Rows the factories' in_township cannot make editable: point rules are the county's.
ROW_BUILDERS = {PointRule: lambda world: PointRuleFactory(region=world.county)}


def build_row(model, world):
    builder = ROW_BUILDERS.get(model)
    return builder(world) if builder else SCOPED_FACTORIES[model].in_township(world.town_a)


def snapshot(row):
    fresh = type(row)._default_manager.get(pk=row.pk)
    return model_to_dict(fresh)


def stored_text(row, name):
    fresh = type(row)._default_manager.get(pk=row.pk)
    return getattr(fresh, name, None)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- every edit page -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", EDIT_ROUTES, ids=[r.test_id for r in EDIT_ROUTES])
def test_the_later_of_two_saves_is_refused_and_keeps_what_was_typed(route, world, media):
    row = build_row(route.view_class.model, world)
    user, url = open_form(route, row, world)
    first, second = client_for(user), client_for(user)
    shown_first, shown_second = first.get(url), second.get(url)
    data_first, data_second = form_data(shown_first), form_data(shown_second)
    field, typed_first, typed_second = edits(shown_first.context["form"], data_first)
    data_first[field], data_second[field] = typed_first, typed_second
    before = snapshot(row)

    saved = first.post(url, data_first)
    assert saved.status_code == 302, (
        f"{url}: the first save failed ({saved.status_code}): {saved.context and saved.context['form'].errors}"
    )
    after_first = snapshot(row)
    assert after_first != before, f"{url}: the first save changed nothing"
    if hasattr(row, field):
        assert str(stored_text(row, field)) == data_first[field]

    refused = second.post(url, data_second)
    assert refused.status_code == 200, f"{url}: the stale save was not refused ({refused.status_code})"
    text = refused.content.decode()
    assert CONFLICT in text and "最近修改：" in text, f"{url}: no conflict message on the page"
    assert escape(data_second[field]) in text, f"{url}: what the second clerk typed is not shown again"
    assert snapshot(row) == after_first, f"{url}: the stale save changed the row"


@pytest.mark.django_db
@pytest.mark.parametrize("route", EDIT_ROUTES, ids=[r.test_id for r in EDIT_ROUTES])
def test_saving_an_unchanged_form_is_no_conflict(route, world, media):
    row = build_row(route.view_class.model, world)
    user, url = open_form(route, row, world)
    client = client_for(user)
    response = client.post(url, form_data(client.get(url)))
    assert response.status_code == 302, (
        f"{url}: re-saving the form as shown failed: {response.context and response.context['form'].errors}"
    )


# --- the deputy form, in detail --------------------------------------------------------------


@pytest.mark.django_db
def test_deputy_edit_by_two_clerks(world):
    deputy = DeputyFactory(region=world.town_a, name="王建国", work_unit="甲镇农业站")
    url = reverse("deputies:deputy-update", kwargs={"pk": deputy.pk})
    first, second = client_for(world.clerk_a), client_for(world.clerk_a)
    data_first, data_second = form_data(first.get(url)), form_data(second.get(url))

    data_first["work_unit"] = "甲镇卫生院"
    assert first.post(url, data_first).status_code == 302

    data_second["name"] = "王建军"
    response = second.post(url, data_second)
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert len(errors) == 1 and errors[0].startswith(CONFLICT), errors
    # The latest change is named from the audit log: when and by whom.
    assert re.search(r"最近修改：\d{4}-\d{2}-\d{2} \d{2}:\d{2} " + re.escape(world.clerk_a.display_name), errors[0])
    assert "您的修改未保存。请刷新页面后重新填写。" in errors[0]
    assert 'value="王建军"' in response.content.decode()
    deputy.refresh_from_db()
    assert (deputy.name, deputy.work_unit) == ("王建国", "甲镇卫生院")

    # Sending the same stale form again is refused again: it keeps the version it was opened with.
    resent = form_data(response)
    assert resent[concurrency.FIELD_NAME] == data_second[concurrency.FIELD_NAME]
    assert second.post(url, resent).status_code == 200

    # After a refresh the clerk's change goes through, on top of the other one.
    fresh = form_data(second.get(url))
    fresh["name"] = "王建军"
    assert second.post(url, fresh).status_code == 302
    deputy.refresh_from_db()
    assert (deputy.name, deputy.work_unit) == ("王建军", "甲镇卫生院")


@pytest.mark.django_db
def test_a_form_with_another_error_stays_stale(world):
    """Fixing an unrelated error must not turn a stale form into a fresh one."""
    deputy = DeputyFactory(region=world.town_a, name="李红")
    url = reverse("deputies:deputy-update", kwargs={"pk": deputy.pk})
    first, second = client_for(world.clerk_a), client_for(world.clerk_a)
    data_first, data_second = form_data(first.get(url)), form_data(second.get(url))
    data_second["name"] = ""  # required: an error of its own
    shown_again = second.post(url, data_second)
    assert shown_again.status_code == 200 and CONFLICT not in shown_again.content.decode()
    data_first["work_unit"] = "甲镇中学"
    assert first.post(url, data_first).status_code == 302
    retry = form_data(shown_again)
    retry["name"] = "李红梅"
    assert CONFLICT in second.post(url, retry).content.decode()
    deputy.refresh_from_db()
    assert (deputy.name, deputy.work_unit) == ("李红", "甲镇中学")


@pytest.mark.django_db
def test_a_post_without_the_row_version_saves_as_before(world):
    """Clients that do not send it (scripts, a page open since before this check) are not
    refused: the check guards the portal's own forms."""
    deputy = DeputyFactory(region=world.town_a, name="赵敏")
    url = reverse("deputies:deputy-update", kwargs={"pk": deputy.pk})
    client = client_for(world.clerk_a)
    data = form_data(client.get(url))
    del data[concurrency.FIELD_NAME]
    data["work_unit"] = "甲镇水利站"
    assert client.post(url, data).status_code == 302
    deputy.refresh_from_db()
    assert deputy.work_unit == "甲镇水利站"


@pytest.mark.django_db
def test_the_row_version_is_keyed_so_the_page_does_not_leak_masked_values(world):
    """The version is an HMAC with SECRET_KEY: hashing the shown fields with guessed ID
    digits cannot confirm the masked ID number."""
    deputy = DeputyFactory(region=world.town_a, id_number="110101199001011237")
    digest = concurrency.fingerprint(deputy)
    with override_settings(SECRET_KEY="another-secret-key-for-this-test-only-0123456789"):
        assert concurrency.fingerprint(deputy) != digest
    deputy.phone = "13900001111"
    assert concurrency.fingerprint(deputy) != digest


@pytest.mark.django_db
def test_the_row_is_locked_while_it_is_checked_and_saved(world):
    """On PostgreSQL the save locks the row (SELECT … FOR UPDATE), so a second save waits
    for the first to commit and then sees its change."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks (Django drops FOR UPDATE; its writers queue on the file)")
    deputy = DeputyFactory(region=world.town_a)
    url = reverse("deputies:deputy-update", kwargs={"pk": deputy.pk})
    client = client_for(world.clerk_a)
    data = form_data(client.get(url))
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, data).status_code == 302
    locks = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"]]
    assert locks and 'FOR UPDATE OF "deputies_deputy"' in locks[0], locks
