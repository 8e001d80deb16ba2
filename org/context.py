"""Who is asking, from where: the request's user and IP, for receivers that have no request
(audit signals). A context variable, so threads and async tasks each see their own."""

from contextvars import ContextVar

_current = ContextVar("portal_request", default=None)


def set_request(request):
    return _current.set(request)


def reset(token):
    _current.reset(token)


def current_request():
    return _current.get()


def client_ip(request) -> str | None:
    if request is None:
        return None
    # Behind a proxy, the proxy sets REMOTE_ADDR from X-Forwarded-For (gunicorn's
    # forwarded_allow_ips); trusting the header here would let anyone forge it.
    return request.META.get("REMOTE_ADDR") or None


def axes_client_ip(request):
    """The IP that axes locks with: the same one the audit log records."""
    return client_ip(request)
