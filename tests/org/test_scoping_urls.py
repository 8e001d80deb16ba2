"""Every URL of the portal obeys the scoping rule (DESIGN.md section 4), NetBox-style.

The walker reads every pattern of `config.urls` (through includes) and sorts it:

* a class-based view with a `model` and a single `pk` kwarg (a detail, edit or delete page):
  for a row built in township A with `SCOPED_FACTORIES[model].in_township(...)`,
  the township-B clerk gets 404 on GET and on POST (and the row is left as it was),
  anonymous users are sent to the login page, and neither the township-A clerk nor the
  county admin gets a 404 (so the check can fail);
* a class-based view with a `model` and no kwargs (a list): the township-B clerk never sees
  the township-A row, which the county admin or township-A clerk does see;
* a create view (a `model`, no kwargs): anonymous users go to the login page, and every
  choice its form offers (a region, a deputy, a unit...) is a row the user may see;
  the same holds for the form of any edit page above;
* anything else (a function view, a view without `model`, other kwargs) FAILS, unless the
  view class (or function) declares `scope_exempt = "<why it needs no scoping test>"`.

Admin URLs (namespace `admin`) are the superuser's tools and are skipped. New URLs are
covered without editing this file: give the view a `model` and register a factory for it
in tests/factories.py with `@scoped_factory(Model)` and an `in_township(township)`.
"""

from __future__ import annotations

import types

import pytest
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.files.base import ContentFile
from django.forms.models import model_to_dict
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, resolve_url
from django.urls import get_resolver, path, reverse
from django.utils.html import escape
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView
from django.views.generic.edit import BaseCreateView

from org.mixins import ScopedCreateView, ScopedDeleteView, ScopedUpdateView, ScopedWriteMixin
from org.models import HandlingUnit, Job
from tests.factories import SCOPED_FACTORIES
from tests.org.urlwalk import Route, walk

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"


def classify(route: Route) -> tuple[str, str]:
    """("detail" | "list" | "create" | "exempt" | "error", detail). Errors tell the developer what to add."""
    view_class = route.view_class
    exempt = getattr(view_class if view_class is not None else route.callback, "scope_exempt", None)
    if exempt is not None:
        if not isinstance(exempt, str) or not exempt.strip():
            return "error", f"{route.test_id}: scope_exempt must be a non-empty string giving the reason."
        return "exempt", exempt
    how = (
        "Build it on org.mixins (ScopedListView, ScopedDetailView, ScopedUpdateView, ScopedDeleteView) "
        "with `model = ...`, or, if it truly needs no scoping test, declare "
        '`scope_exempt = "<reason>"` on the view class (or as an attribute of the view function).'
    )
    if view_class is None:
        return "error", f"{route.test_id} is a function view the scoping test cannot check. {how}"
    model = getattr(view_class, "model", None)
    if model is None:
        return "error", f"{route.test_id} ({view_class.__name__}) has no `model`. {how}"
    if not route.name:
        return "error", f"{route.test_id} ({view_class.__name__}) has no URL name: add name=... to its path()."
    if model not in SCOPED_FACTORIES:
        return "error", (
            f"{route.test_id}: no factory for {model.__name__}. Register one in tests/factories.py with "
            f"@scoped_factory({model.__name__}) and a classmethod in_township(township)."
        )
    if set(route.kwargs) == {"pk"}:
        return "detail", model.__name__
    if not route.kwargs:
        return ("create" if issubclass(view_class, BaseCreateView) else "list"), model.__name__
    return "error", (
        f"{route.test_id} takes kwargs {route.kwargs}; the scoping test handles only `pk` or none. "
        f"Use <int:pk> for the row the view shows, or declare scope_exempt with the reason and test it yourself."
    )


ROUTES = list(walk(get_resolver().url_patterns))


# --- the checks --------------------------------------------------------------------------


def _finish_job(job):
    """A queued job has nothing to download (404 for everyone): give it its file."""
    job.state = Job.State.DONE
    job.output.save("scoping.xlsx", ContentFile(b"scoping test"), save=False)
    job.output_name = "scoping.xlsx"
    job.save()


# Rows a factory makes that a view cannot serve as they are get completed here.
ROW_FINISHERS = {Job: _finish_job}


def build_row(model, township):
    row = SCOPED_FACTORIES[model].in_township(township)
    finisher = ROW_FINISHERS.get(model)
    if finisher:
        finisher(row)
    return row


def snapshot(model, pk):
    row = model._default_manager.filter(pk=pk).first()
    return None if row is None else model_to_dict(row)


def accepts_post(view_class) -> bool:
    return "post" in view_class.http_method_names and hasattr(view_class, "post")


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user, backend=LOGIN_BACKEND)
    return client


def assert_login_redirect(response, url):
    login_url = resolve_url(settings.LOGIN_URL)
    assert response.status_code == 302, f"anonymous GET {url}: expected a redirect to login, got {response.status_code}"
    assert response["Location"].startswith(login_url), f"anonymous GET {url} redirects to {response['Location']}"


def check_detail(route: Route, world, client):
    model = route.view_class.model
    row = build_row(model, world.town_a)
    url = reverse(route.name, kwargs={"pk": row.pk})
    before = snapshot(model, row.pk)

    assert_login_redirect(as_user(client, None).get(url), url)

    as_user(client, world.clerk_b)
    response = client.get(url)
    assert response.status_code == 404, f"township-B clerk GET {url} (a township-A row): {response.status_code}"
    if accepts_post(route.view_class):
        response = client.post(url, data={})
        assert response.status_code == 404, f"township-B clerk POST {url} (a township-A row): {response.status_code}"
        assert snapshot(model, row.pk) == before, f"township-B clerk POST {url} changed or deleted the row"

    for user in (world.clerk_a, world.county_admin):
        response = as_user(client, user).get(url)
        assert response.status_code != 404, (
            f"{user.username} GET {url}: 404 for a row in its own scope, so the 404 for township B proves nothing"
        )
    check_form_choices(client, url, world, (world.clerk_a, world.county_admin))


def form_of(response):
    if response.status_code != 200 or response.context is None:
        return None
    return response.context.get("form")


def check_form_choices(client, url, world, users):
    """For each user whose page shows a form: with a row of each choice field's model in
    both townships, every choice offered is one the user may see. Returns who had a form."""
    opened = []
    for user in users:
        form = form_of(as_user(client, user).get(url))
        if form is None:
            continue
        fields = {
            name: field.queryset.model
            for name, field in form.fields.items()
            if hasattr(getattr(field, "queryset", None), "for_user")
        }
        for model in set(fields.values()) & set(SCOPED_FACTORIES):
            build_row(model, world.town_a)
            build_row(model, world.town_b)
        form = form_of(client.get(url))
        for name, model in fields.items():
            allowed = set(model._default_manager.for_user(user).values_list("pk", flat=True))
            offered = set(form.fields[name].queryset.values_list("pk", flat=True))
            assert offered <= allowed, (
                f"{user.username} GET {url}: the form field {name!r} offers {model.__name__} rows outside the "
                f"user's scope ({sorted(offered - allowed)}); build the view on org.mixins (ScopedFormMixin)"
            )
        opened.append(user)
    return opened


def check_create(route: Route, world, client):
    url = reverse(route.name)
    assert_login_redirect(as_user(client, None).get(url), url)
    users = (world.clerk_b, world.clerk_a, world.county_admin, world.deputy_a, world.unit_user_a)
    opened = check_form_choices(client, url, world, users)
    assert opened, f"{url}: no persona gets a form on this create page, so nothing was checked"


def page_text(response) -> str:
    """The body as text; a file download (streamed, or binary) is searched as bytes decoded leniently."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8", errors="replace")


def _markers(row):
    """How a row shows up in a page: its text, or a link to it."""
    markers = [escape(str(row))]
    if hasattr(row, "get_absolute_url"):
        markers.append(f'"{row.get_absolute_url()}"')
    return markers


def check_list(route: Route, world, client):
    model = route.view_class.model
    url = reverse(route.name)
    as_user(client, world.clerk_b)
    baseline = client.get(url)
    row = build_row(model, world.town_a)
    markers = _markers(row)
    if baseline.status_code == 200:
        text = baseline.content.decode()
        assert not any(m in text for m in markers), (
            f"{url}: the page shows {markers} before the row exists; make the str() of "
            f"{SCOPED_FACTORIES[model].__name__}'s rows distinctive"
        )

    assert_login_redirect(as_user(client, None).get(url), url)

    response = as_user(client, world.clerk_b).get(url)
    if response.status_code == 200:
        text = response.content.decode()
        leaked = [m for m in markers if m in text]
        assert not leaked, f"township-B clerk sees a township-A {model.__name__} on {url}: {leaked}"
    else:
        assert response.status_code in (403, 404), f"township-B clerk GET {url}: {response.status_code}"

    seen_by = []
    for user in (world.county_admin, world.clerk_a):
        response = as_user(client, user).get(url)
        if response.status_code == 200:
            text = response.content.decode()
            assert any(m in text for m in markers), (
                f"{user.username} GET {url}: the township-A row ({markers}) is not on the page, so its absence "
                f"for township B proves nothing; show str(row) or a link to row.get_absolute_url()"
            )
            seen_by.append(user.username)
    assert seen_by, f"{url}: neither the county admin nor the township-A clerk can open the list"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


SCOPED_ROUTES = [r for r in ROUTES if classify(r)[0] != "exempt"]
EXEMPT_ROUTES = [r for r in ROUTES if classify(r)[0] == "exempt"]


@pytest.mark.django_db
@pytest.mark.parametrize("route", SCOPED_ROUTES, ids=[r.test_id for r in SCOPED_ROUTES])
def test_url_is_scoped(route, world, client, media):
    kind, detail = classify(route)
    if kind == "error":
        pytest.fail(detail, pytrace=False)
    {"detail": check_detail, "list": check_list, "create": check_create}[kind](route, world, client)


@pytest.mark.django_db
@pytest.mark.parametrize("route", EXEMPT_ROUTES, ids=[r.test_id for r in EXEMPT_ROUTES])
def test_exempt_url_shows_nothing_of_another_township(route, world, client, media):
    """An exempt view still must not leak: with a row of every scoped model in township A,
    the township-B clerk's page holds none of them."""
    if route.kwargs:
        # Such a view names the test that runs this leak check on it (a public page keyed by a
        # room's code, say); the test must exist, so the pointer cannot rot.
        tested = getattr(route.view_class or route.callback, "scope_tested_in", None)
        if not tested:
            pytest.fail(
                f"{route.test_id}: an exempt view with URL kwargs needs a test of its own, named in "
                '`scope_tested_in = "tests/<file>.py::<test>"`',
                pytrace=False,
            )
        file, _, name = tested.partition("::")
        source = settings.BASE_DIR / file
        assert source.exists() and f"def {name}(" in source.read_text(), f"{route.test_id}: {tested} not found"
        pytest.skip(f"{route.test_id}: checked in {tested}")
    url = reverse(route.name)
    as_user(client, world.clerk_b)
    baseline = page_text(client.get(url))
    markers = []
    for model in SCOPED_FACTORIES:
        markers += [m for m in _markers(build_row(model, world.town_a)) if m not in baseline]
    assert markers, "no township-A marker to look for"
    response = as_user(client, world.clerk_b).get(url)
    text = page_text(response)
    leaked = [m for m in markers if m in text]
    assert not leaked, f"township-B clerk sees township-A rows on {url}: {leaked}"


def test_walker_finds_the_known_urls():
    kinds = {r.name: classify(r)[0] for r in ROUTES}
    assert kinds["deputies:deputy-detail"] == "detail"
    assert kinds["deputies:deputy-list"] == "list"
    assert kinds["org:job-download"] == "detail"
    assert kinds["org:job-list"] == "list"
    assert kinds["login"] == "exempt"
    assert kinds["healthz"] == "exempt"
    assert not any(name.startswith("admin:") for name in kinds)


# --- the checks themselves can fail -------------------------------------------------------
# A small URLconf beside the real one holds views that break the rule on purpose.


def _plain_function(request):
    return HttpResponseRedirect("/")


class LeakyDetail(LoginRequiredMixin, DetailView):
    model = HandlingUnit

    def render_to_response(self, context, **kwargs):
        return HttpResponse(escape(str(self.object)))


class LeakyList(LoginRequiredMixin, ListView):
    model = HandlingUnit

    def render_to_response(self, context, **kwargs):
        return HttpResponse("".join(f"<li>{escape(u)}</li>" for u in self.object_list))


class ScopedGetLeakyPost(LoginRequiredMixin, View):
    """GET is scoped, POST forgets: the kind of bug the POST check is for."""

    model = HandlingUnit
    http_method_names = ["get", "post"]

    def get(self, request, pk):
        get_object_or_404(HandlingUnit.objects.for_user(request.user), pk=pk)
        return HttpResponseRedirect("/")

    def post(self, request, pk):
        HandlingUnit.objects.filter(pk=pk).update(name="被乙镇改了")
        return HttpResponseRedirect("/")


class UnitUpdate(ScopedUpdateView):
    model = HandlingUnit
    fields = ["name", "region"]
    template_name = "org/profile.html"
    success_url = "/"


class UnitUpdateLeakyForm(ScopedWriteMixin, UpdateView):
    """The row is scoped, the form's region choices are not."""

    model = HandlingUnit
    fields = ["name", "region"]
    template_name = "org/profile.html"
    success_url = "/"


class UnitCreate(ScopedCreateView):
    model = HandlingUnit
    fields = ["name", "region"]
    template_name = "org/profile.html"
    success_url = "/"


class LeakyCreate(LoginRequiredMixin, CreateView):
    model = HandlingUnit
    fields = ["name", "region"]
    template_name = "org/profile.html"
    success_url = "/"


class UnitDelete(ScopedDeleteView):
    model = HandlingUnit
    template_name = "org/profile.html"
    success_url = "/"


_TEST_PATTERNS = [
    path("t/leaky/<int:pk>/", LeakyDetail.as_view(), name="leaky-detail"),
    path("t/leaky/", LeakyList.as_view(), name="leaky-list"),
    path("t/half/<int:pk>/", ScopedGetLeakyPost.as_view(), name="half"),
    path("t/edit/<int:pk>/", UnitUpdate.as_view(), name="unit-edit"),
    path("t/delete/<int:pk>/", UnitDelete.as_view(), name="unit-delete"),
    path("t/edit-leaky/<int:pk>/", UnitUpdateLeakyForm.as_view(), name="leaky-edit-form"),
    path("t/new/", UnitCreate.as_view(), name="unit-create"),
    path("t/leaky-new/", LeakyCreate.as_view(), name="leaky-create"),
    path("t/fn/", _plain_function, name="plain-fn"),
    path("t/other/<int:pk>/<slug:part>/", UnitUpdate.as_view(), name="other-kwargs"),
]


@pytest.fixture
def test_urls(settings):
    import config.urls

    urlconf = types.ModuleType("scoping_test_urls")
    urlconf.urlpatterns = _TEST_PATTERNS + config.urls.urlpatterns
    settings.ROOT_URLCONF = urlconf
    return {r.name: r for r in walk(_TEST_PATTERNS)}


@pytest.mark.django_db
def test_checks_pass_for_the_scoped_create_edit_and_delete_views(test_urls, world, client):
    assert classify(test_urls["unit-create"])[0] == "create"
    check_create(test_urls["unit-create"], world, client)
    check_detail(test_urls["unit-edit"], world, client)
    check_detail(test_urls["unit-delete"], world, client)


@pytest.mark.django_db
def test_create_check_catches_unscoped_choices(test_urls, world, client):
    with pytest.raises(AssertionError, match="the form field 'region' offers Region rows outside"):
        check_create(test_urls["leaky-create"], world, client)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("leaky-detail", "township-B clerk GET"),
        ("half", "township-B clerk POST"),
        ("leaky-edit-form", "the form field 'region' offers Region rows outside"),
    ],
)
def test_detail_check_catches_a_leak(test_urls, world, client, name, complaint):
    with pytest.raises(AssertionError, match=complaint):
        check_detail(test_urls[name], world, client)


@pytest.mark.django_db
def test_list_check_catches_a_leak(test_urls, world, client):
    with pytest.raises(AssertionError, match="township-B clerk sees a township-A HandlingUnit"):
        check_list(test_urls["leaky-list"], world, client)


def test_unclassifiable_views_fail_with_advice():
    routes = {r.name: r for r in walk(_TEST_PATTERNS)}
    kind, message = classify(routes["plain-fn"])
    assert kind == "error" and "function view" in message and "scope_exempt" in message
    kind, message = classify(routes["other-kwargs"])
    assert kind == "error" and "('pk', 'part')" in message
