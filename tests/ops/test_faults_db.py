"""The database connection dropped in the middle of a request (issue 7, faults): the user
gets the Chinese 500 page with no internals, nothing of the request is half-written, and the
next request works again (Django drops the broken connection and opens a new one).

The request registers a deputy: the service writes the Deputy row, then its first Mandate.
The fault is injected between the two writes by wrapping `deputies.services._create_mandate`:
on PostgreSQL the request's own backend is killed with pg_terminate_backend from a second
connection; on SQLite, which has no server to lose, the request's database handle is closed
under it. Both go through Django's real WSGI handler in this thread (not the test client,
which keeps Django from closing broken connections between requests), with persistent
connections (CONN_MAX_AGE=None) so that the recovery cannot come from a routine close.
"""

from __future__ import annotations

import datetime
import io
import sys
import time
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from deputies import services
from deputies.models import Deputy, Mandate
from org.models import AuditEntry
from tests.deputies.test_models import county_terms, make_id

LOGIN_BACKEND = "django.contrib.auth.backends.ModelBackend"
CSRF = "h2faultsdbcsrfsecret0123456789ab"  # a 32-character CSRF secret, sent as cookie and field
NAME = "断线测试代表"
INTERNALS = ("Traceback", "OperationalError", "InterfaceError", "ProgrammingError", "deputies_mandate", "terminat")


def deputy_form(world, term) -> dict:
    birth = datetime.date(1985, 4, 2)
    return {
        "region": world.town_a.pk,
        "name": NAME,
        "gender": "M",
        "ethnicity": "汉族",
        "id_number": make_id(birth),
        "party": "masses",
        "occupation": "farmer",
        "term": term.pk,
    }


def assert_clean_500(status, text):
    assert status == 500, status
    assert "系统出错" in text and "请稍后重试" in text
    leaked = [word for word in INTERNALS if word in text]
    assert not leaked, f"the error page shows internals: {leaked}"


def assert_nothing_written():
    assert not Deputy.objects.filter(name=NAME).exists(), "the deputy row of the failed request was kept"
    assert not Mandate.objects.filter(deputy__name=NAME).exists()
    assert not AuditEntry.objects.filter(object_repr__contains=NAME).exists(), "the audit log kept the failed write"


@pytest.fixture
def production_errors(settings):
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False


# --- an error between the two writes (both databases, through the test client) ---------------


@pytest.mark.django_db
def test_a_database_error_between_two_writes_rolls_back_and_shows_the_500_page(world, production_errors):
    term = county_terms(world.county)[1]
    client = Client(raise_request_exception=False)
    client.force_login(world.clerk_a, backend=LOGIN_BACKEND)
    lost = OperationalError("server closed the connection unexpectedly")
    with mock.patch.object(services, "_create_mandate", side_effect=lost) as between:
        response = client.post(reverse("deputies:deputy-create"), deputy_form(world, term))
    assert between.called, "the fault was not injected: the form did not reach the service"
    assert_clean_500(response.status_code, response.content.decode())
    assert_nothing_written()
    assert client.get(reverse("deputies:deputy-list")).status_code == 200


# --- the connection really dropped (a real handler, a real kill) ------------------------------


def wsgi(handler, method, path, cookies, data=None):
    """One request through Django's WSGI handler, as gunicorn makes it: request_started and,
    when the body is closed, request_finished (where Django drops a broken connection)."""
    body = urlencode(data or {}, doseq=True).encode()
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status = []
    result = handler(environ, lambda line, headers, exc_info=None: status.append(int(line.split()[0])))
    try:
        content = b"".join(result)
    finally:
        result.close()
    return status[0], content.decode()


def drop_connection():
    """Lose the current request's database connection the way a network or server failure
    would, then return (the request goes on to its second write)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pid = cur.fetchone()[0]
        killer = connections.create_connection("default")
        try:
            with killer.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", [pid])
                # pg_terminate_backend only signals: wait until the backend is gone.
                for _ in range(200):
                    cur.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
                    if cur.fetchone()[0] == 0:
                        break
                    time.sleep(0.05)
        finally:
            killer.close()
    elif connection.vendor == "sqlite":
        connection.connection.close()
    else:  # pragma: no cover - the portal runs on these two
        pytest.skip(f"no way to drop a {connection.vendor} connection here")


@pytest.fixture
def persistent_connections():
    """Keep connections across requests, as production may (CONN_MAX_AGE): a broken one must
    then be noticed and replaced, not reused."""
    saved = connection.settings_dict["CONN_MAX_AGE"]
    connection.settings_dict["CONN_MAX_AGE"] = None
    yield
    connection.settings_dict["CONN_MAX_AGE"] = saved
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_the_connection_dropped_between_two_writes(world, production_errors, persistent_connections):
    term = county_terms(world.county)[1]
    browser = Client()
    browser.force_login(world.clerk_a, backend=LOGIN_BACKEND)
    cookies = {"sessionid": browser.cookies["sessionid"].value, "csrftoken": CSRF}
    handler = WSGIHandler()
    status, _ = wsgi(handler, "GET", reverse("deputies:deputy-list"), cookies)
    assert status == 200

    original = services._create_mandate
    dropped = []

    def drop_then_write(**kwargs):
        drop_connection()
        dropped.append(True)
        return original(**kwargs)

    with mock.patch.object(services, "_create_mandate", drop_then_write):
        status, text = wsgi(
            handler,
            "POST",
            reverse("deputies:deputy-create"),
            cookies,
            {**deputy_form(world, term), "csrfmiddlewaretoken": CSRF},
        )
    assert dropped, "the fault was not injected: the form did not reach the service"
    assert_clean_500(status, text)
    assert_nothing_written()

    # The next request in the same process gets a working connection.
    status, text = wsgi(handler, "GET", reverse("deputies:deputy-list"), cookies)
    assert status == 200 and "代表名册" in text
    status, _ = wsgi(
        handler,
        "POST",
        reverse("deputies:deputy-create"),
        cookies,
        {**deputy_form(world, term), "csrfmiddlewaretoken": CSRF},
    )
    assert status == 302
    assert Mandate.objects.filter(deputy__name=NAME, term=term).count() == 1
