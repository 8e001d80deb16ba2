import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from . import context
from .models import Region, user_memberships
from .roles import COUNTY_KINDS, Role


class RequestContextMiddleware:
    """Makes the request visible to the audit receivers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = context.set_request(request)
        try:
            return self.get_response(request)
        finally:
            context.reset(token)


class IdleTimeoutMiddleware:
    """Ends a session left unused for SESSION_IDLE_TIMEOUT seconds.

    Background polling (the jobs page refreshing itself) is not activity: those requests
    carry the `X-Portal-Poll` header and do not extend the session."""

    SESSION_KEY = "_last_activity"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.SESSION_KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.warning(request, "由于长时间未操作，您已自动退出，请重新登录。")
                if request.headers.get("HX-Request"):
                    response = redirect(settings.LOGIN_URL)
                    response["HX-Redirect"] = reverse(settings.LOGIN_URL)
                    return response
                return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.get_full_path()}")
            # A minute's resolution is plenty for a 30-minute timeout, and spares most requests
            # the session write (three queries: a transaction and an UPDATE).
            if not request.headers.get("X-Portal-Poll") and (
                last is None or now - last >= settings.SESSION_ACTIVITY_RESOLUTION
            ):
                request.session[self.SESSION_KEY] = now
        return self.get_response(request)


class ForcePasswordChangeMiddleware:
    """An account an admin created must set its own password before anything else."""

    ALLOWED = ("password-change", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.must_change_password:
            allowed = [reverse(name) for name in self.ALLOWED]
            if request.path not in allowed and not request.path.startswith(settings.STATIC_URL):
                return redirect("password-change")
        return self.get_response(request)


class ActiveRegionMiddleware:
    """The region a county user is looking at: county-wide or one township, chosen in the
    top bar and kept in the session. Lists narrow to it; scope is never widened by it."""

    SESSION_KEY = "active_region_id"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.active_region = None
        if request.user.is_authenticated:
            request.active_region = self.resolve(request)
        return self.get_response(request)

    def resolve(self, request):
        region_id = request.session.get(self.SESSION_KEY)
        if not region_id:
            return None
        county_paths = [m.region.path for m in user_memberships(request.user) if m.role == Role.COUNTY_ADMIN]
        region = Region.objects.filter(pk=region_id).first()
        if region is None or not any(region.path.startswith(p) for p in county_paths):
            request.session.pop(self.SESSION_KEY, None)
            return None
        return region


def county_regions(user):
    return [m.region for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN and m.region.kind in COUNTY_KINDS]
