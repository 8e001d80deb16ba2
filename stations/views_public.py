"""The public opinion page 群众意见 (no login: the QR code at a room opens it), the page that
shows the tracking code after a submission, the lookup by tracking code; and, for clerks,
each room's QR code and A4 poster."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.http import content_disposition_header
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from org.context import client_ip
from org.mixins import ScopedDetailView
from org.roles import Role
from org.uploads import IMAGE, MB, max_bytes

from . import pdf_public, services_public
from .forms_public import PublicOpinionForm, TrackForm
from .models import Station, VoterIssue
from .services_public import ATTEMPT, SUBMIT, RateLimited

# The session remembers the code of the voter's last submission for the thanks page, so the
# code never sits in an address that could be guessed, shared or logged.
SESSION_KEY = "public_opinion_code"
PUBLIC_EXEMPT = (
    "public page without login: shows only the room of the QR code (by its random public_code) or the "
    "voter's own issue (tracking code / own session); tested in tests/stations/test_public.py"
)


def _open_station(public_code: str) -> Station | None:
    # Unscoped on purpose: the random code is the key, and only open rooms take opinions.
    return (
        Station.objects.filter(public_code=public_code, active=True, closed_on__isnull=True)
        .select_related("township")
        .first()
    )


def _not_found(request):
    return render(request, "stations/public/not_found.html", status=404)


def _too_many(request, exc: RateLimited):
    response = render(request, "stations/public/rate_limited.html", {"message": exc.message}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


def max_request_bytes() -> int:
    """A photo at its limit plus the text fields; a bigger request is refused before it is read."""
    return max_bytes(IMAGE) + MB


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


# The CSRF check is made inside dispatch (csrf_protect), after the request's size: the
# middleware would read, and spool to disk, a body of any size first (Django's documented
# pattern for checking uploads before they are parsed).
@method_decorator([csrf_exempt, never_cache], name="dispatch")
class PublicOpinionView(View):
    """/v/<public_code>/: the opinion form of one room (GET), and its submission (POST)."""

    scope_exempt = PUBLIC_EXEMPT
    # Its URL takes the room's public code, which the generic exempt-view check cannot fill in.
    scope_tested_in = "tests/stations/test_public.py::test_opinion_page_shows_nothing_but_its_room"
    http_method_names = ["get", "post"]
    template_name = "stations/public/opinion_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.station = _open_station(kwargs["public_code"])
        if self.station is None:
            return _not_found(request)
        if request.method == "POST" and _content_length(request) > max_request_bytes():
            # Nothing is read or stored: the form comes back empty with the reason.
            error = (
                f"提交的内容太大（{_content_length(request) / MB:.1f} MB）：照片不能超过 "
                f"{max_bytes(IMAGE) / MB:g} MB，请压缩或换一张照片后重新提交。"
            )
            return self.render_form(PublicOpinionForm(station=self.station), error=error, status=413)
        return csrf_protect(super().dispatch)(request, *args, **kwargs)

    def render_form(self, form, *, error: str = "", status: int = 200):
        ctx = {
            "station": self.station,
            "form": form,
            "error": error,
            # A fresh stamp on every showing: after a refused submission the clock starts again.
            "stamp": services_public.form_stamp_new(station=self.station),
            "photo_max_bytes": max_bytes(IMAGE),
            "photo_max_mb": f"{max_bytes(IMAGE) / MB:g}",
        }
        return render(self.request, self.template_name, ctx, status=status)

    def get(self, request, *args, **kwargs):
        return self.render_form(PublicOpinionForm(station=self.station))

    def post(self, request, *args, **kwargs):
        ip = client_ip(request)
        try:
            services_public.rate_limit_hit(kind=ATTEMPT, ip=ip)
            services_public.rate_limit_check(kind=SUBMIT, ip=ip)
        except RateLimited as exc:
            return _too_many(request, exc)
        form = PublicOpinionForm(request.POST, request.FILES, station=self.station)
        if form.is_valid():
            data = form.cleaned_data
            try:
                issue = services_public.public_opinion_submit(
                    station=self.station,
                    content=data["content"],
                    voter_name=data["voter_name"],
                    voter_phone=data["voter_phone"],
                    photo=data["photo"],
                    ip=ip,
                )
            except RateLimited as exc:
                return _too_many(request, exc)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                request.session[SESSION_KEY] = issue.tracking_code
                return redirect("public:thanks")
        return self.render_form(form)


@method_decorator(never_cache, name="dispatch")
class PublicThanksView(View):
    """/v/thanks/: the tracking code of the submission made in this browser session."""

    scope_exempt = PUBLIC_EXEMPT
    http_method_names = ["get"]

    def get(self, request):
        code = request.session.get(SESSION_KEY)
        issue = None
        if code:
            issue = (
                VoterIssue.objects.filter(tracking_code=code, source=VoterIssue.Source.PUBLIC)
                .select_related("station")
                .first()
            )
        ctx = {"issue": issue, "code": services_public.format_tracking_code(issue.tracking_code) if issue else ""}
        return render(request, "stations/public/thanks.html", ctx)


@method_decorator(never_cache, name="dispatch")
class PublicTrackView(View):
    """/v/track/: look up the reply to an opinion by its tracking code (POST: the code stays
    out of addresses and logs)."""

    scope_exempt = PUBLIC_EXEMPT
    http_method_names = ["get", "post"]
    template_name = "stations/public/track.html"

    def get(self, request):
        return render(request, self.template_name, {"form": TrackForm()})

    def post(self, request):
        form = TrackForm(request.POST)
        ctx = {"form": form, "searched": False, "result": None}
        if form.is_valid():
            try:
                ctx["result"] = services_public.public_opinion_lookup(
                    code=form.cleaned_data["code"], ip=client_ip(request)
                )
            except RateLimited as exc:
                return _too_many(request, exc)
            ctx["searched"] = True
        return render(request, self.template_name, ctx)


# --- clerks: a room's QR code and poster ------------------------------------------------------

QR_ROLES = (Role.COUNTY_ADMIN, Role.TOWNSHIP_CLERK)


class StationQrView(ScopedDetailView):
    """The QR code of a room's public page: PNG, or SVG with ?format=svg."""

    model = Station
    allowed_roles = QR_ROLES

    def get(self, request, *args, **kwargs):
        station = self.get_object()
        url = services_public.public_opinion_url(station=station, request=request)
        if request.GET.get("format") == "svg":
            body, content_type, ending = pdf_public.qr_svg(url), "image/svg+xml", "svg"
        else:
            body, content_type, ending = pdf_public.qr_png(url), "image/png", "png"
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(False, f"二维码-{station.name}.{ending}")
        return response


class StationPosterView(ScopedDetailView):
    """The A4 poster 群众意见征集 of a room (PDF) to print and hang at the room."""

    model = Station
    allowed_roles = QR_ROLES

    def get_queryset(self):
        return super().get_queryset().select_related("region", "township")

    def get(self, request, *args, **kwargs):
        station = self.get_object()
        url = services_public.public_opinion_url(station=station, request=request)
        response = HttpResponse(pdf_public.station_poster_pdf(station, url), content_type="application/pdf")
        response["Content-Disposition"] = content_disposition_header(False, pdf_public.poster_filename(station))
        return response
