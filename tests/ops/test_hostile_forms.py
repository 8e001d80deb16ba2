"""Hostile input to the main forms (issue 7, item 4): property-based tests with hypothesis
over the create forms of deputy, reception, voter issue, activity, suggestion, meeting and
supervision item, and the public opinion form of /v/<code>/.

Each form is filled once with plain valid values (the test first proves that this base
submission is accepted), then one field at a time is made hostile and POSTed through the
test client as the township-A clerk (anonymous for the public form). Properties:
- random text (any Unicode but lone surrogates, which no browser sends: control
  characters, NUL, RTL marks, emoji, 40,000 characters) in any text field never causes a
  500: the answer is 200 with the form's errors or a 302;
- text one character over a field's max_length is refused on that field with Django's
  Chinese max-length message naming the limit;
- wrong types in number, date and choice fields (words, impossible dates, numbers beyond
  what the database holds, ids that do not exist) are refused on that field in Chinese.
Examples are derandomized and few; each example's rows are rolled back.
"""

from __future__ import annotations

import re
import time

import pytest
from django import forms
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from org.validators import id_checksum
from stations import services_public
from tests.factories import MandateFactory, StationFactory, TermFactory

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "\u202e右到左\u202c",
            "👨‍👩‍👧‍👦" * 20,
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x","点击")',
            "'; DROP TABLE deputies_deputy; --",
            "字" * 40_000,
            " ",
            "\r\n\t",
        ]
    ),
)
WRONG = {
    "date": ["明天", "2024-02-30", "0000-00-00", "99999-01-01", "2024/13/01", "１９８０年", "\x00"],
    "number": ["abc", "1e999", "９９", "99999999999999999999", "-99999999999999999999", "NaN", "0x10", "\x00"],
    "choice": ["不存在的选项", "999999999", "-1", "1; DROP TABLE x", "\x00", "1.5"],
}


class Rollback(Exception):
    """Raised to undo one example's rows."""


# --- the forms and their base submissions ------------------------------------------------------


@pytest.fixture
def township(world):
    """Township A with what its forms pick from: a term, serving deputies, a room."""
    today = timezone.localdate()
    TermFactory(
        region=world.town_a, start_date=today.replace(year=today.year - 2), end_date=today.replace(year=today.year + 3)
    )
    for _ in range(2):
        MandateFactory.in_township(world.town_a)
    station = StationFactory(region=world.town_a)
    return station


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture(autouse=True)
def no_public_rate_limit(monkeypatch):
    """The public page's per-IP limit would stop the examples (it is tested in stations)."""
    monkeypatch.setattr(services_public, "rate_limit_hit", lambda **kw: None)
    monkeypatch.setattr(services_public, "rate_limit_check", lambda **kw: None)


TARGETS = {
    "deputy": ("deputies:deputy-create", None),
    "reception": ("stations:reception-create", None),
    "issue": ("stations:issue-create", None),
    "activity": ("stations:activity-create", None),
    "suggestion": ("congress:suggestion-create", None),
    "meeting": ("congress:meeting-create", None),
    "supervision": ("congress:supervision-create", None),
    "public": ("public:opinion", "public_code"),
}


def target_url(name: str, station) -> str:
    route, arg = TARGETS[name]
    return reverse(route, args=[station.public_code]) if arg else reverse(route)


def client_for(name: str, world, login, client):
    if name == "public":
        client.logout()
        return client
    return login(world.clerk_a)


def valid_value(name: str, field: forms.Field, form: forms.BaseForm):
    """A value `field` accepts, from its initial value or its kind."""
    initial = form.initial.get(name, field.initial)
    if callable(initial):
        initial = initial()
    if isinstance(field, forms.ModelMultipleChoiceField):
        first = field.queryset.first()
        return [str(first.pk)] if first else []
    if isinstance(field, forms.ModelChoiceField):
        if initial not in (None, ""):
            return str(getattr(initial, "pk", initial))
        first = field.queryset.first()
        return str(first.pk) if first else ""
    if isinstance(field, forms.MultipleChoiceField):
        return [str(v) for v, _ in field.choices if v not in ("", None)][:1]
    if isinstance(field, forms.ChoiceField):
        if initial not in (None, ""):
            return str(initial)
        return next((str(v) for v, _ in field.choices if v not in ("", None)), "")
    if isinstance(field, forms.BooleanField):
        return "on" if initial else None
    if isinstance(field, forms.FileField):
        return None
    if isinstance(field, (forms.DateField, forms.DateTimeField)):
        value = initial or timezone.localdate()
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(field, forms.TimeField):
        return "09:00"
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        if initial not in (None, ""):
            return str(initial)
        return str(max(field.min_value or 1, 1) if field.min_value is None or field.min_value <= 1 else field.min_value)
    if initial not in (None, ""):
        return str(initial)
    if "phone" in name:
        return "13912345678"
    return "测试内容：村口路灯不亮"


# Fields whose plain value depends on others or on a rule of its own.
OVERRIDES = {
    "deputy": {"id_number": "11010119700101" + "001", "birth_date": "1970-01-01", "democratic_party": ""},
    "activity": {"satisfaction": ""},
}


def base_data(form: forms.BaseForm, station, target: str) -> dict:
    overrides = OVERRIDES.get(target, {})
    data = {}
    for name, field in form.fields.items():
        if name == "website":  # the public form's honeypot stays empty
            continue
        if name == "stamp":
            data[form.add_prefix(name)] = services_public.form_stamp_new(station=station, at=time.time() - 60)
            continue
        value = overrides.get(name, valid_value(name, field, form))
        if name == "id_number":
            value += id_checksum(value)
        if value is not None:
            data[form.add_prefix(name)] = value
    return data


def management_data(context) -> dict:
    """Empty formsets (a reception's issue rows…) as the page would post them."""
    data = {}
    for value in (context[key] for key in context.keys()):  # noqa: SIM118 (a ContextList)
        if isinstance(value, forms.BaseFormSet):
            prefix = value.prefix
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    return data


def prepare(name: str, world, township, login, client):
    """(client, url, form, base data) of one target, the base data proven acceptable."""
    c = client_for(name, world, login, client)
    url = target_url(name, township)
    page = c.get(url)
    assert page.status_code == 200, (name, page.status_code)
    form = page.context["form"]
    data = {**management_data(page.context), **base_data(form, township, name)}
    with transaction.atomic():
        response = c.post(url, data)
        errors = response.context["form"].errors if response.status_code == 200 and response.context else None
        assert response.status_code == 302, (name, response.status_code, errors)
        transaction.set_rollback(True)
    return c, url, form, data


def post(c, url: str, data: dict):
    """POST inside a rolled-back transaction; the response."""
    with transaction.atomic():
        response = c.post(url, data)
        transaction.set_rollback(True)
    return response


def text_fields(form) -> list[str]:
    return [
        n
        for n, f in form.fields.items()
        if type(f) in (forms.CharField, forms.RegexField, forms.SlugField) and n not in ("stamp", "website")
    ]


def kind_of(field) -> str | None:
    if isinstance(field, (forms.DateField, forms.DateTimeField)):
        return "date"
    if isinstance(field, (forms.IntegerField, forms.DecimalField, forms.FloatField)):
        return "number"
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField):
        return "choice"
    return None


def field_errors(response, form, name) -> list[str]:
    assert response.status_code == 200, response.status_code
    bound = response.context["form"]
    return list(bound.errors.get(name, []))


# --- the properties ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TARGETS))
def test_random_text_in_any_text_field_never_causes_a_500(name, world, township, login, client):
    c, url, form, base = prepare(name, world, township, login, client)
    fields = text_fields(form)
    assert fields, f"{name}: no text field"

    @HOSTILE
    @given(st.sampled_from(fields), TEXT)
    def run(field, value):
        data = {**base, form.add_prefix(field): value}
        response = post(c, url, data)
        assert response.status_code in (200, 302), (field, response.status_code)
        if response.status_code == 200:
            bound = response.context["form"]
            assert bound.errors, f"{name}.{field}: 200 without an error"
            for messages in bound.errors.values():
                assert all(CJK.search(m) for m in messages), messages

    run()


@pytest.mark.parametrize("name", list(TARGETS))
def test_over_long_text_gets_the_fields_chinese_max_length_error(name, world, township, login, client):
    c, url, form, base = prepare(name, world, township, login, client)
    limited = [(n, form.fields[n].max_length) for n in text_fields(form) if form.fields[n].max_length]
    for field, limit in limited:
        response = post(c, url, {**base, form.add_prefix(field): "字" * (limit + 1)})
        errors = field_errors(response, form, field)
        assert any(str(limit) in e and CJK.search(e) for e in errors), (name, field, errors)


@pytest.mark.parametrize("name", list(TARGETS))
def test_wrong_types_in_number_date_and_choice_fields_are_refused_in_chinese(name, world, township, login, client):
    c, url, form, base = prepare(name, world, township, login, client)
    typed = {n: kind_of(f) for n, f in form.fields.items() if kind_of(f) and not f.widget.is_hidden}
    if not typed:
        pytest.skip(f"{name} has no number, date or choice field")

    @HOSTILE
    @given(st.sampled_from(sorted(typed)), st.data())
    def run(field, data):
        value = data.draw(st.sampled_from(WRONG[typed[field]]))
        key = form.add_prefix(field)
        if isinstance(form.fields[field], forms.ModelMultipleChoiceField | forms.MultipleChoiceField):
            payload = {**base, key: [value]}
        else:
            payload = {**base, key: value}
        response = post(c, url, payload)
        errors = field_errors(response, form, field)
        assert errors and all(CJK.search(e) for e in errors), (name, field, value, errors)

    run()
