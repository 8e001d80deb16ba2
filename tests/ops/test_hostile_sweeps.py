"""Hostile input, swept over every URL and every form (issue 7, item 4).

Each sweep is parametrized over the URL patterns the generic scoping test walks
(tests/org/urlwalk.py), so a new view is covered without anyone remembering:

* CSRF: a logged-in POST without a token to every URL is refused with the Chinese page
  (templates/403_csrf.html) and changes no row of any scoped model;
* script and HTML payloads in every text field of every form a clerk (or the county admin,
  where only they may) opens come back escaped on the pages that show the row;
* ids of another township in every choice field of those forms are refused, and filters in
  the query string (?township=, ?station=, ?deputy=...) never show another township's rows;
* uploads of the wrong type or size are refused on every file field, with a Chinese message
  on that field, and leave no row and no file behind.

The forms are found by opening each page as a user would (GET, following the redirect an
upload URL sends back to its page) and filled from what the page offers, with factories'
rows (tests/factories.py) for the choices.
"""

from __future__ import annotations

import datetime
import decimal
import io
import re
import zipfile

import pytest
from django import forms
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.forms.formsets import BaseFormSet
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from congress.models import LivelihoodProject, Meeting
from deputies.models import Deputy, DeputyGroup
from org.models import HandlingUnit, Region, Term
from stations.models import Activity, Station
from tests.factories import (
    PNG_BYTES,
    SCOPED_FACTORIES,
    ActivityFactory,
    DeputyFactory,
    LivelihoodProjectFactory,
    MandateFactory,
    PointRuleFactory,
    StationFactory,
    TermFactory,
)
from tests.org.test_scoping_urls import ROUTES, _markers, as_user, build_row, classify, page_text

# --- shared helpers ----------------------------------------------------------------------


def scoped_models():
    return [m for m in apps.get_models() if hasattr(m, "scope_region_field")]


def row_counts():
    """How many rows each scoped model holds, and the newest id: a cheap fingerprint of the data."""
    out = {}
    for model in scoped_models():
        qs = model._default_manager.all()
        out[model.__name__] = (qs.count(), qs.order_by("-pk").values_list("pk", flat=True).first())
    return out


def media_files(root):
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def townships(world):
    """Both townships with a current term and serving deputies, so the forms' choices
    (deputies serving, dates within a term) have something valid to offer."""
    for town in (world.town_a, world.town_b):
        term = TermFactory(region=town, start_date=datetime.date(2021, 12, 1), end_date=datetime.date(2099, 12, 31))
        for _ in range(2):
            MandateFactory(deputy=DeputyFactory(region=town), region=town, term=term)
    return world


# Rows a factory makes in a township that a form cannot save as they are (a county's rule).
ROW_BUILDERS = {
    "assessments:point-rule-update": lambda world: PointRuleFactory(region=world.county),
    "stations:activity-reject": lambda world: ActivityFactory(
        region=world.town_a, station=StationFactory(region=world.town_a), status=Activity.Status.PENDING
    ),
    "congress:livelihood-progress": lambda world: LivelihoodProjectFactory(
        region=world.town_a, state=LivelihoodProject.State.IN_PROGRESS
    ),
}


def url_for(route, world):
    """The route's URL with a township-A row for its kwargs; None when it takes kwargs we cannot fill."""
    if not route.kwargs:
        return reverse(route.name), None
    if set(route.kwargs) == {"pk"} and route.view_class is not None:
        model = getattr(route.view_class, "model", None)
        if model in SCOPED_FACTORIES:
            builder = ROW_BUILDERS.get(route.name)
            row = builder(world) if builder else build_row(model, world.town_a)
            return reverse(route.name, kwargs={"pk": row.pk}), row
    if set(route.kwargs) == {"public_code"}:
        station = StationFactory(region=world.town_a)
        return reverse(route.name, kwargs={"public_code": station.public_code}), station
    return None, None


NAMED_ROUTES = [r for r in ROUTES if r.name]


# --- 1. CSRF on every POST ---------------------------------------------------------------

CSRF_PAGE_TEXT = "页面已过期，请返回刷新后重新提交"


@pytest.mark.django_db
@pytest.mark.parametrize("route", NAMED_ROUTES, ids=[r.test_id for r in NAMED_ROUTES])
def test_post_without_csrf_token_is_refused(route, world, media):
    """Every URL, whether or not it takes POST: without the token the middleware answers
    first with the Chinese page, and nothing is written. Logged in as the township-A clerk
    on a township-A row, so a missing check would have something to change."""
    url, row = url_for(route, world)
    if url is None:
        pytest.fail(f"{route.test_id}: the sweep cannot fill the URL kwargs {route.kwargs}; teach url_for()")
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk_a, backend="django.contrib.auth.backends.ModelBackend")
    before = row_counts()
    row_before = row_state(row)
    response = client.post(url, data={"name": "改了", "title": "改了", "state": "closed", "submit": "1"})
    assert response.status_code == 403, f"POST {url} without a CSRF token: {response.status_code}"
    assert CSRF_PAGE_TEXT in response.content.decode(), f"POST {url}: 403 is not the Chinese CSRF page"
    assert row_counts() == before, f"POST {url} without a CSRF token changed rows"
    assert row_state(row) == row_before, f"POST {url} without a CSRF token changed the row"


@pytest.mark.django_db
def test_logout_without_csrf_token_keeps_the_session(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.clerk_a, backend="django.contrib.auth.backends.ModelBackend")
    assert client.post(reverse("logout")).status_code == 403
    response = client.get(reverse("deputies:deputy-list"))
    assert response.status_code == 200, "the session ended although the logout had no token"


@pytest.mark.django_db
def test_public_opinion_page_needs_csrf_without_login(world, media):
    station = StationFactory(region=world.town_a)
    url = reverse("public:opinion", kwargs={"public_code": station.public_code})
    client = Client(enforce_csrf_checks=True)
    assert client.get(url).status_code == 200
    before = row_counts()
    response = client.post(url, data={"content": "路灯坏了", "name": "张三", "phone": "13900000000"})
    assert response.status_code == 403
    assert CSRF_PAGE_TEXT in response.content.decode()
    assert row_counts() == before
    assert media_files(media) == []


# --- opening a form and filling it as a user would ---------------------------------------

# Forms a page shows that do not post to it: filters (GET) and the top bar's region switch.
NOT_POSTED_HERE = ("Filter", "RegionSwitch")
# Not swept for payloads, with the reason (anything else with a form must save).
NOT_FORM_SWEPT = {
    "login": "the credentials are never shown back; login is fuzzed in tests/org/test_security.py",
    "password-change": "password inputs never render their value",
    "public:track": "a lookup by tracking code: it saves nothing",
    "public:opinion": "the public page has its own sweep below (it needs a signed stamp)",
}
BINARY_ENDINGS = ("pdf/", ".pdf", "xlsx/", ".xlsx", "download/", "qr/", "poster/", "photo/", "files/", "evidence/")


def context_forms(response):
    """The forms and formsets a page renders that post back to it."""
    found, formsets = [], []
    if response.context is None:
        return found, formsets
    seen = set()
    for key in sorted(response.context.keys()):
        value = response.context[key]
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, forms.BaseForm) and "__prefix__" in (value.prefix or ""):
            continue  # a formset's template row, copied by script; never posted as it is
        if isinstance(value, forms.BaseForm) and not any(s in type(value).__name__ for s in NOT_POSTED_HERE):
            found.append(value)
        elif isinstance(value, BaseFormSet):
            formsets.append(value)
    return found, formsets


# Fields whose page default does not save once the payload is in (an issue needs voters).
FIELD_VALUES = {"voter_count": 3}


def first_choice(field):
    for value, label in field.choices:
        if isinstance(label, (list, tuple)):  # an optgroup
            for v, _ in label:
                if v not in ("", None):
                    return v
        elif value not in ("", None):
            return getattr(value, "value", value)
    return None


def filler(field):
    """A valid value for a required field the page left empty."""
    today = datetime.date.today()
    if isinstance(field, forms.ModelMultipleChoiceField):
        pk = field.queryset.values_list("pk", flat=True).first()
        return [pk] if pk is not None else []
    if isinstance(field, forms.ModelChoiceField):
        return field.queryset.values_list("pk", flat=True).first()
    if isinstance(field, forms.MultipleChoiceField):
        choice = first_choice(field)
        return [choice] if choice is not None else []
    if isinstance(field, forms.ChoiceField):
        return first_choice(field)
    if isinstance(field, forms.DateTimeField):
        return f"{today - datetime.timedelta(days=1)} 09:00"
    if isinstance(field, forms.DateField):
        return today - datetime.timedelta(days=1)
    if isinstance(field, forms.TimeField):
        return "09:00"
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        low = field.min_value if field.min_value is not None else 1
        return max(low, 1) if field.max_value is None or field.max_value >= 1 else field.max_value
    if isinstance(field, forms.EmailField):
        return "clerk@example.com"
    if isinstance(field, forms.URLField):
        return "https://example.com/"
    if isinstance(field, forms.BooleanField):
        return True
    if isinstance(field, forms.CharField):
        return "测试内容"
    return None


def encode(field, key, value):
    """POST data for one field's value, as the browser would send it."""
    if isinstance(field, forms.BooleanField):
        return {key: "on"} if value else {}
    if isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)):
        values = value if isinstance(value, (list, tuple)) else [value]
        return {key: [str(getattr(v, "pk", v)) for v in values if v not in (None, "")]}
    if value is None:
        return {key: ""}
    if hasattr(value, "pk"):
        value = value.pk
    if isinstance(value, (datetime.date, datetime.time)):
        value = value.isoformat()
    if isinstance(value, decimal.Decimal):
        value = format(value, "f")
    widget = field.widget
    if isinstance(widget, forms.MultiWidget):
        parts = value if isinstance(value, (list, tuple)) else widget.decompress(value)
        return {
            f"{key}{suffix}": "" if p is None else str(p)
            for suffix, p in zip(widget.widgets_names, parts, strict=False)
        }
    return {key: str(value)}


def is_text(field):
    return (
        isinstance(field, forms.CharField)
        and not isinstance(field.widget, (forms.PasswordInput, forms.HiddenInput))
        and not field.disabled
    )


def form_fields(form):
    """(field, POST key, value the page shows or a filler) for every field a user can post."""
    out = []
    for name, field in form.fields.items():
        if field.disabled or isinstance(field, forms.FileField):
            continue
        bf = form[name]
        value = bf.value()
        if name in FIELD_VALUES:
            value = FIELD_VALUES[name]
        elif value in (None, "", [], ()) and (field.required or isinstance(field, forms.ModelMultipleChoiceField)):
            # A form may demand participants in clean() rather than by `required`.
            value = filler(field)
        out.append((name, field, bf.html_name, value))
    return out


def base_data(page_forms, formsets):
    data = {}
    for form in page_forms:
        for _, field, key, value in form_fields(form):
            data.update(encode(field, key, value))
    for formset in formsets:
        mgmt = formset.management_form
        for name in mgmt.fields:
            data[mgmt[name].html_name] = mgmt[name].value()
        for form in formset.forms:
            for _, field, key, value in form_fields(form):
                data.update(encode(field, key, value))
    return data


def text_keys(page_forms, formsets):
    """POST key -> max_length of every text input on the page."""
    out = {}
    all_forms = list(page_forms) + [f for fs in formsets for f in fs.forms]
    for form in all_forms:
        for name, field in form.fields.items():
            if is_text(field) and not (name == "website" or field.widget.attrs.get("tabindex") == "-1"):
                out[form[name].html_name] = field.max_length
    return out


def choice_keys(page_forms, formsets=()):
    """POST key -> (field, model) of every choice among rows."""
    out = {}
    for form in list(page_forms) + [f for fs in formsets for f in fs.forms]:
        for name, field in form.fields.items():
            if isinstance(field, forms.ModelChoiceField) and not field.disabled:
                out[form[name].html_name] = (field, field.queryset.model)
    return out


def prepare_choices(page_forms, world):
    """A row of every choice field's model in both townships, so each list offers something."""
    for model in {m for _, m in choice_keys(page_forms).values()} & set(SCOPED_FACTORIES):
        build_row(model, world.town_a)
        build_row(model, world.town_b)


def valid_files(page):
    """POST key -> a fresh valid picture for every required file input (a form that needs a
    file saves nothing without one)."""
    out = {}
    for form in page.forms:
        for name, field in form.fields.items():
            if isinstance(field, forms.FileField) and field.required:
                out[form[name].html_name] = lambda: SimpleUploadedFile("photo.png", PNG_BYTES, "image/png")
    return out


class Page:
    """A form page opened by a persona: where it posts, who opened it, what it offers."""

    def __init__(self, client, url, user, response):
        self.client, self.url, self.user = client, url, user
        self.forms, self.formsets = context_forms(response)

    def reopen(self):
        response = self.client.get(self.url, follow=True)
        self.forms, self.formsets = context_forms(response)
        return self

    @property
    def all_fields(self):
        return [f for form in self.forms for f in form.fields.values()]


def open_page(route, world, client, users=None):
    """The page of `route` with a township-A row, as the first persona who gets a form on it;
    None when no persona does. GET may redirect (an upload URL sends you back to its page)."""
    url, row = url_for(route, world)
    if url is None:
        return None, None
    for user in users or (world.clerk_a, world.county_admin):
        as_user(client, user)
        response = client.get(url, follow=True)
        if response.status_code != 200:
            continue
        page = Page(client, url, user, response)
        if page.forms or page.formsets:
            prepare_choices(page.forms, world)
            return page.reopen(), row
    return None, row


POST_ROUTES = [
    r
    for r in NAMED_ROUTES
    if r.view_class is not None and "post" in r.view_class.http_method_names and hasattr(r.view_class, "post")
]


def _errors(response):
    errors = {}
    for form in context_forms(response)[0]:
        if form.is_bound:
            errors.update({form[n].html_name if n in form.fields else n: e for n, e in form.errors.items()})
    for formset in context_forms(response)[1]:
        if formset.is_bound:
            for form in formset.forms:
                errors.update({form[n].html_name if n in form.fields else n: e for n, e in form.errors.items()})
            if formset.non_form_errors():
                errors["__formset__"] = formset.non_form_errors()
    return errors


# --- 2. script and HTML in every text field come back escaped -----------------------------

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
RAW_MARKERS = ("<script>alert(1)", "<img src=x onerror=alert(2)>", "alert(2)>\"'&")
ESCAPED_MARKER = escape("<script>alert(1)")


def payload_for(max_length):
    return PAYLOAD if not max_length else PAYLOAD[:max_length]


def assert_escaped(text, where):
    raw = [m for m in RAW_MARKERS if m in text]
    assert not raw, f"{where}: the payload is on the page unescaped ({raw})"


def pages_showing(url, response, before_counts):
    """The pages a user goes to after saving: where the save sent them, the form again, and
    the detail and list pages of every row the save created or changed."""
    urls = [url]
    if response.status_code in (301, 302) and response["Location"].startswith("/"):
        urls.append(response["Location"].split("#")[0])
    after = row_counts()
    changed = {name for name, counts in after.items() if counts != before_counts.get(name)}
    for route in NAMED_ROUTES:
        model = getattr(route.view_class, "model", None)
        if model is None or model.__name__ not in changed or route.route.endswith(BINARY_ENDINGS):
            continue
        if not route.kwargs and classify(route)[0] == "list":
            urls.append(reverse(route.name))
        elif set(route.kwargs) == {"pk"} and route.name.endswith("detail"):
            newest = after[model.__name__][1]
            urls.append(reverse(route.name, kwargs={"pk": newest}))
    return list(dict.fromkeys(urls))


def payload_rows():
    """Rows of any scoped model holding the payload in a text column."""
    found = []
    for model in scoped_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, (models.CharField, models.TextField)):
                for row in model._default_manager.filter(**{f"{field.name}__contains": "<script>alert(1)"})[:3]:
                    found.append((model, row, field.name))
    return found


def post_payloads(page, route_id):
    """POST the page's forms with the payload in every text field; fields that refuse it (a
    phone, an ID number) get back what the page offered, until the form saves. Returns the
    response, the text keys that kept the payload and the row counts before."""
    data = base_data(page.forms, page.formsets)
    original = dict(data)
    texts = text_keys(page.forms, page.formsets)
    carrying = dict.fromkeys(texts)
    files = valid_files(page)
    for _ in range(6):
        for key in carrying:
            data[key] = payload_for(texts[key])
        before = row_counts()
        response = page.client.post(page.url, {**data, **{k: f() for k, f in files.items()}})
        assert_escaped(page_text(response), f"{route_id}: POST answer")
        if response.status_code != 200 and response.status_code != 400:
            return response, carrying, before
        refused = [k for k in _errors(response) if k in carrying]
        if not refused:
            return response, carrying, before
        for key in refused:
            del carrying[key]
            data[key] = original.get(key, "")
    return response, carrying, before


FORM_ROUTES = [r for r in POST_ROUTES if r.name not in NOT_FORM_SWEPT]


def row_state(row):
    if row is None:
        return None
    return type(row)._default_manager.filter(pk=row.pk).values().first()


@pytest.mark.django_db
@pytest.mark.parametrize("route", FORM_ROUTES, ids=[r.test_id for r in FORM_ROUTES])
def test_text_payloads_are_rendered_escaped(route, townships, client, media):
    world = townships
    page, row = open_page(route, world, client)
    if page is None:
        pytest.skip("no clerk or county admin gets a form on this page (an action button)")
    if not text_keys(page.forms, page.formsets):
        pytest.skip("the page's forms have no text field")
    assert_escaped(page_text(page.client.get(page.url, follow=True)), f"{route.test_id}: GET")
    row_before = row_state(row)
    response, carrying, before = post_payloads(page, route.test_id)
    if response.status_code == 403 and page.user != world.county_admin:
        # The clerk may read the page but only the county acts on it.
        as_user(client, world.county_admin)
        page.user = world.county_admin
        page.reopen()
        response, carrying, before = post_payloads(page, route.test_id)
    saved = row_counts() != before or row_state(row) != row_before
    stored = payload_rows()
    if not saved:
        if response.status_code == 409:
            pytest.skip("a workflow step the factory's row is not in (409)")
        if not _errors(response):
            pytest.skip(
                f"the POST saved nothing and named no field ({response.status_code}): the action refused the row's "
                "state, or the page's forms post elsewhere"
            )
        pytest.fail(
            f"{route.test_id}: the sweep could not save the form as {page.user.username}: "
            f"{_errors(response) or response.status_code}. Teach filler()/ROW_BUILDERS the value it needs.",
            pytrace=False,
        )
    if not stored:
        pytest.skip(f"saved, but no text field of this page kept the payload ({sorted(carrying)} refused or unused)")
    urls = pages_showing(page.url, response, before)
    urls += [r.get_absolute_url() for _, r, _ in stored if hasattr(r, "get_absolute_url")]
    seen_escaped = False
    for url in dict.fromkeys(urls):
        shown = page.client.get(url)
        if shown.status_code != 200:
            continue
        text = page_text(shown)
        assert_escaped(text, f"{route.test_id}: GET {url} after saving")
        seen_escaped = seen_escaped or ESCAPED_MARKER in text
    assert seen_escaped, (
        f"{route.test_id}: saved the payload in {[(m.__name__, f) for m, _, f in stored]}, but none of "
        f"{urls} shows it (escaped), so the check proves nothing"
    )


# --- 3. ids of another township in every choice field are refused -------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("route", FORM_ROUTES, ids=[r.test_id for r in FORM_ROUTES])
def test_other_township_ids_in_form_fields_are_refused(route, townships, client, media):
    world = townships
    page, row = open_page(route, world, client, users=(world.clerk_a,))
    if page is None:
        pytest.skip("the township-A clerk gets no form on this page")
    choices = {k: (f, m) for k, (f, m) in choice_keys(page.forms, page.formsets).items() if m in SCOPED_FACTORIES}
    if not choices:
        pytest.skip("the page's forms have no choice among scoped rows")
    data = base_data(page.forms, page.formsets)
    files = valid_files(page)
    for key, (field, model) in choices.items():
        other = build_row(model, world.town_b)
        assert not model._default_manager.for_user(world.clerk_a).filter(pk=other.pk).exists()
        hostile = dict(data)
        hostile[key] = [str(other.pk)] if isinstance(field, forms.ModelMultipleChoiceField) else str(other.pk)
        before, row_before = row_counts(), row_state(row)
        response = page.client.post(page.url, {**hostile, **{k: f() for k, f in files.items()}})
        refused = response.status_code in (403, 404) or key in _errors(response)
        saved = row_counts() != before or row_state(row) != row_before
        assert refused or not saved, (
            f"{route.test_id}: {key}={other.pk} (a township-B {model.__name__}) was accepted and saved "
            f"({response.status_code})"
        )


# --- 4. uploads of the wrong type or size are refused on every file field ------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HOSTILE_UPLOADS = {
    "an .exe renamed .jpg": ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120, "image/jpeg"),
    "a PHP file renamed .pdf": ("report.pdf", b"<?php system($_GET['c']); ?>\n", "application/pdf"),
    "an HTML file as a picture": ("photo.png", b"<html><script>alert(1)</script></html>", "image/png"),
    "a picture over the limit": ("big.png", PNG_BYTES + b"\x00" * 4096, "image/png"),
    "a document over the limit": ("big.pdf", PDF_BYTES + b"\x00" * 8192, "application/pdf"),
}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _xlsx_bytes():
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["姓名", "性别"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def valid_uploads():
    return [("photo.png", PNG_BYTES, "image/png"), ("doc.pdf", PDF_BYTES, "application/pdf")]


@pytest.fixture
def small_limits(settings):
    """Limits small enough that an oversized file costs nothing to build."""
    settings.UPLOAD_MAX_IMAGE_BYTES = 2048
    settings.UPLOAD_MAX_DOCUMENT_BYTES = 4096


UPLOAD_ROUTES = [r for r in POST_ROUTES if r.name not in ("login", "password-change", "public:track")]


@pytest.mark.django_db
@pytest.mark.parametrize("route", UPLOAD_ROUTES, ids=[r.test_id for r in UPLOAD_ROUTES])
def test_wrong_uploads_are_refused(route, townships, client, media, small_limits):
    world = townships
    page, row = open_page(route, world, client)
    if page is None:
        pytest.skip("no clerk or county admin gets a form on this page")
    file_keys = {
        form[name].html_name: field.label
        for form in page.forms
        for name, field in form.fields.items()
        if isinstance(field, forms.FileField)
    }
    if not file_keys:
        pytest.skip("no file field")
    data = base_data(page.forms, page.formsets)
    checked = []
    for key in file_keys:
        # The control first: a good file through this field is kept, so a refusal below means
        # something (a file input of another form on the page is not this URL's).
        for filename, content, ctype in valid_uploads():
            files_before = media_files(media)
            page.client.post(page.url, {**data, key: SimpleUploadedFile(filename, content, ctype)})
            if media_files(media) != files_before:
                break
        else:
            continue
        checked.append(key)
        for name, hostile in HOSTILE_UPLOADS.items():
            filename, content, ctype = hostile
            before, files_before, row_before = row_counts(), media_files(media), row_state(row)
            response = page.client.post(page.url, {**data, key: SimpleUploadedFile(filename, content, ctype)})
            assert media_files(media) == files_before, f"{route.test_id} {key}: {name} was stored on disk"
            assert row_counts() == before and row_state(row) == row_before, (
                f"{route.test_id} {key}: {name} left a row behind"
            )
            errors = _errors(response)
            assert key in errors, f"{route.test_id} {key}: {name} refused without an error on the field: {errors}"
            assert all(CHINESE.search(str(m)) for m in errors[key]), (
                f"{route.test_id} {key}: {name}: the message is not in Chinese: {errors[key]}"
            )
    if not checked:
        pytest.skip(f"{sorted(file_keys)}: a valid picture or PDF is not kept either (the form posts elsewhere)")


# --- 3b. another township's ids in the query string show nothing of it ---------------------

# Filter names the pages use, and the model whose id each takes.
QUERY_PARAMS = {
    "township": Region,
    "region": Region,
    "station": Station,
    "deputy": Deputy,
    "unit": HandlingUnit,
    "group": DeputyGroup,
    "term": Term,
    "meeting": Meeting,
}
GET_ROUTES = [r for r in NAMED_ROUTES if not r.kwargs and classify(r)[0] in ("list", "exempt")]


def _shown_text(response):
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        import openpyxl

        body = b"".join(response.streaming_content) if response.streaming else response.content
        try:
            book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        except zipfile.BadZipFile:
            return body.decode("utf-8", errors="replace")
        return "\n".join(str(c) for ws in book.worksheets for r in ws.iter_rows(values_only=True) for c in r if c)
    return page_text(response)


@pytest.mark.django_db
def test_other_township_ids_in_query_strings_show_nothing(world, client, media):
    """Every list, export and report page without URL kwargs, opened by the township-A clerk
    with ?township=, ?station=, ?deputy=... naming township-B rows (and with the filters its
    own filter form offers): no township-B row shows. One test over all pages, so the B rows
    are built once."""
    rows = {model: build_row(model, world.town_b) for model in SCOPED_FACTORIES}
    params = {name: rows[model].pk if model is not Region else world.town_b.pk for name, model in QUERY_PARAMS.items()}
    as_user(client, world.clerk_a)
    problems, checked = [], 0
    for route in GET_ROUTES:
        url = reverse(route.name)
        plain = client.get(url)
        if plain.status_code != 200:
            continue
        baseline = _shown_text(plain)
        markers = [m for row in rows.values() for m in _markers(row) if m not in baseline]
        names = dict(params)
        for form in context_forms(plain)[0] + _filter_forms(plain):
            for name, field in form.fields.items():
                model = getattr(getattr(field, "queryset", None), "model", None)
                if model in rows:
                    names[name] = rows[model].pk if model is not Region else world.town_b.pk
        for name, value in names.items():
            response = client.get(url, {name: value})
            if response.status_code != 200:
                continue
            checked += 1
            leaked = [m for m in markers if m in _shown_text(response)]
            if leaked:
                problems.append(f"{url}?{name}={value}: {leaked[:3]}")
    assert checked > len(GET_ROUTES), "hardly any page answered, so nothing was checked"
    assert not problems, "township-A clerk sees township-B rows through a query parameter:\n" + "\n".join(problems)


def _filter_forms(response):
    if response.context is None:
        return []
    out = []
    for key in sorted(response.context.keys()):  # a ContextList iterates over contexts, not names
        value = response.context[key]
        form = getattr(value, "form", value)
        if isinstance(form, forms.BaseForm) and any(s in type(form).__name__ for s in NOT_POSTED_HERE):
            out.append(form)
    return out
