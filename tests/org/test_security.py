"""Login security (等保): lockout, idle timeout, forced password change, password rules,
the audit log and its export, and a production configuration that passes `check --deploy`."""

from __future__ import annotations

import datetime
import io
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import get_resolver, reverse
from django.utils import timezone
from openpyxl import load_workbook

from org.middleware import IdleTimeoutMiddleware
from org.models import AuditEntry, HandlingUnit, User
from org.xlsx import safe_cell
from tests.factories import HandlingUnitFactory
from tests.org.urlwalk import walk

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
LOGOUT = reverse("logout")
HOME = reverse("home")
PASSWORD_CHANGE = reverse("password-change")
AUDIT = reverse("org:audit-list")
AUDIT_EXPORT = reverse("org:audit-export")
CJK = re.compile(r"[\u4e00-\u9fff]")
GOOD_PASSWORD = "Qz7#riverLamp"


def post_login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


# --- lockout -----------------------------------------------------------------------------


def test_five_bad_passwords_lock_the_username_and_ip(world, client):
    user = world.clerk_a
    for i in range(4):
        r = post_login(client, user.username, f"wrong-{i}")
        assert r.status_code == 200, f"attempt {i + 1}"
        assert "账号或密码不正确" in r.content.decode()
    r = post_login(client, user.username, "wrong-5")
    assert r.status_code == 429
    # Locked: even the right password is refused, with the Chinese lockout page.
    r = post_login(client, user.username, world.password)
    assert r.status_code == 429
    body = r.content.decode()
    assert "锁定" in body and "15 分钟" in body
    assert "_auth_user_id" not in client.session
    # One entry for each attempt refused while locked (the fifth failure and the sixth try).
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.LOCKOUT)
    assert entries.count() == 2
    assert {(e.username, e.ip) for e in entries} == {(user.username, "10.0.0.1")}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED, username=user.username).count() >= 5
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN, username=user.username).exists()


def _lock(client, username, ip="10.0.0.1"):
    for i in range(django_settings.AXES_FAILURE_LIMIT):
        post_login(client, username, f"wrong-{i}", ip=ip)
    assert post_login(client, username, "still-wrong", ip=ip).status_code == 429


def test_lockout_is_per_ip_and_per_username(world, client):
    _lock(client, world.clerk_a.username)
    # The same account from another machine logs in.
    r = post_login(client, world.clerk_a.username, world.password, ip="10.0.0.2")
    assert r.status_code == 302 and r["Location"] == HOME
    client.logout()
    # Another account from the locked machine logs in.
    r = post_login(client, world.clerk_b.username, world.password, ip="10.0.0.1")
    assert r.status_code == 302


def test_lockout_lifts_after_the_cool_off(world, client):
    _lock(client, world.clerk_a.username)
    cooled = timezone.now() - django_settings.AXES_COOLOFF_TIME - datetime.timedelta(seconds=5)
    assert AccessAttempt.objects.update(attempt_time=cooled) == 1
    r = post_login(client, world.clerk_a.username, world.password)
    assert r.status_code == 302 and r["Location"] == HOME
    # A successful login resets the count: one more slip does not lock again.
    client.logout()
    assert post_login(client, world.clerk_a.username, "one-slip").status_code == 200


def test_lockout_still_holds_inside_the_cool_off(world, client):
    _lock(client, world.clerk_a.username)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=14))
    assert post_login(client, world.clerk_a.username, world.password).status_code == 429


# --- idle timeout ------------------------------------------------------------------------


def _set_last_activity(client, seconds_ago):
    session = client.session
    session[IdleTimeoutMiddleware.SESSION_KEY] = int(time.time()) - seconds_ago
    session.save()


def test_idle_session_is_ended(world, login, settings):
    c = login(world.clerk_a)
    assert c.get(HOME).status_code == 200
    _set_last_activity(c, settings.SESSION_IDLE_TIMEOUT + 60)
    r = c.get(reverse("deputies:deputy-list"))
    assert r.status_code == 302
    assert r["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in c.session
    r = c.get(r["Location"])
    assert "由于长时间未操作，您已自动退出" in r.content.decode()
    # Logged out for real: the next page asks for a login again.
    r = c.get(HOME)
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


def test_htmx_request_of_an_idle_session_redirects_the_whole_page(world, login, settings):
    c = login(world.clerk_a)
    c.get(HOME)
    _set_last_activity(c, settings.SESSION_IDLE_TIMEOUT + 60)
    r = c.get(reverse("org:job-list"), HTTP_HX_REQUEST="true")
    assert r["HX-Redirect"] == LOGIN


def test_activity_inside_the_timeout_keeps_the_session(world, login, settings):
    c = login(world.clerk_a)
    _set_last_activity(c, settings.SESSION_IDLE_TIMEOUT - 60)
    assert c.get(HOME).status_code == 200
    assert int(time.time()) - c.session[IdleTimeoutMiddleware.SESSION_KEY] < 5


def test_last_activity_is_written_at_most_once_a_resolution(world, login, settings, django_assert_num_queries):
    """Production's setting: a request soon after the last write leaves the session alone
    (no UPDATE of django_session), a later one moves the time on."""
    settings.SESSION_ACTIVITY_RESOLUTION = 60
    c = login(world.clerk_a)
    _set_last_activity(c, 10)
    before = c.session[IdleTimeoutMiddleware.SESSION_KEY]
    assert c.get(HOME).status_code == 200
    assert c.session[IdleTimeoutMiddleware.SESSION_KEY] == before
    _set_last_activity(c, 61)
    assert c.get(HOME).status_code == 200
    assert int(time.time()) - c.session[IdleTimeoutMiddleware.SESSION_KEY] < 5


def test_background_polling_does_not_extend_the_session(world, login, settings):
    c = login(world.clerk_a)
    _set_last_activity(c, settings.SESSION_IDLE_TIMEOUT - 60)
    before = c.session[IdleTimeoutMiddleware.SESSION_KEY]
    r = c.get(reverse("org:job-list"), HTTP_X_PORTAL_POLL="1")
    assert r.status_code == 200
    assert c.session[IdleTimeoutMiddleware.SESSION_KEY] == before
    # So two minutes later the session has expired although the page kept polling.
    _set_last_activity(c, settings.SESSION_IDLE_TIMEOUT + 60)
    r = c.get(reverse("org:job-list"), HTTP_X_PORTAL_POLL="1")
    assert r.status_code == 302 and r["Location"].startswith(LOGIN)


# --- forced password change --------------------------------------------------------------


def every_url():
    """Every named page of the portal (a row id of 1 where one is needed), but the two the
    user may still open; the admin site is included."""
    urls = set()
    for route in walk(get_resolver().url_patterns):
        if not route.name or route.name in ("password-change", "logout") or not set(route.kwargs) <= {"pk"}:
            continue
        urls.add(reverse(route.name, kwargs={"pk": 1} if route.kwargs else None))
    return sorted(urls | {reverse("admin:index"), reverse("admin:org_user_changelist")})


def test_must_change_password_before_anything_else(world, login):
    user = world.clerk_a
    user.must_change_password = True
    user.save()
    c = login(user)
    urls = every_url()
    assert len(urls) > 10 and reverse("deputies:deputy-detail", args=[1]) in urls
    for url in urls:
        r = c.get(url)
        assert r.status_code == 302 and r["Location"] == PASSWORD_CHANGE, url
    assert c.post(reverse("org:region-switch"), {"region": ""})["Location"] == PASSWORD_CHANGE
    assert c.get(PASSWORD_CHANGE).status_code == 200
    r = c.post(
        PASSWORD_CHANGE,
        {"old_password": world.password, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
    )
    assert r.status_code == 302 and r["Location"] == HOME
    user.refresh_from_db()
    assert user.must_change_password is False
    assert user.check_password(GOOD_PASSWORD)
    # Still logged in (the session hash was updated) and free to go anywhere.
    assert c.get(HOME).status_code == 200
    assert c.get(reverse("deputies:deputy-list")).status_code == 200


def test_logout_is_allowed_while_the_password_must_change(world, login):
    world.clerk_a.must_change_password = True
    world.clerk_a.save()
    c = login(world.clerk_a)
    r = c.post(LOGOUT)
    assert r.status_code == 302 and r["Location"] == LOGIN


def test_account_created_in_the_admin_must_change_its_password(world, login):
    c = login(world.sysadmin)
    url = reverse("admin:org_user_add")
    form = c.get(url)
    assert form.status_code == 200
    data = {
        "username": "new_clerk",
        "password1": GOOD_PASSWORD,
        "password2": GOOD_PASSWORD,
        "usable_password": "true",
        "name": "新秘书",
        "phone": "",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
    }
    r = c.post(url, data)
    assert r.status_code == 302, r.context["adminform"].form.errors if r.context else r
    user = User.objects.get(username="new_clerk")
    assert user.must_change_password is True
    assert user.check_password(GOOD_PASSWORD)


# --- password rules ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("Ab1#xyz", "太短"),  # short
        ("abcdefghijklmn", "至少3类"),  # a single class of characters
        ("Zhangsan2024!", "太相似"),  # like the user name
        ("1234567890123", "只包含数字"),  # all digits
    ],
)
def test_weak_passwords_are_refused_in_chinese(password, expected):
    user = User(username="zhangsan2024", name="张三")
    with pytest.raises(ValidationError) as exc:
        validate_password(password, user=user)
    messages = exc.value.messages
    assert any(expected in m for m in messages), messages
    assert all(CJK.search(m) for m in messages), messages


def test_good_password_is_accepted():
    validate_password(GOOD_PASSWORD, user=User(username="zhangsan2024", name="张三"))


def test_password_change_page_shows_the_rules_in_chinese(world, login):
    c = login(world.clerk_a)
    r = c.post(PASSWORD_CHANGE, {"old_password": world.password, "new_password1": "abc", "new_password2": "abc"})
    assert r.status_code == 200
    body = r.content.decode()
    assert "密码长度太短" in body
    world.clerk_a.refresh_from_db()
    assert world.clerk_a.check_password(world.password)


# --- audit entries -----------------------------------------------------------------------


def test_create_update_delete_outside_a_request_are_logged(world):
    unit = HandlingUnitFactory(region=world.town_a, name="甲镇司法所", contact="王会计")
    created = AuditEntry.objects.get(action=AuditEntry.Action.CREATE, model="org.handlingunit", object_id=str(unit.pk))
    assert created.object_repr == "甲镇司法所"
    assert created.changes["name"] == {"label": "单位名称", "old": None, "new": "甲镇司法所"}
    assert created.user is None and created.ip is None and created.path == ""

    unit.name = "甲镇司法所（新）"
    unit.phone = "0771-1234567"
    unit.save()
    updated = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, model="org.handlingunit", object_id=str(unit.pk))
    assert updated.changes == {
        "name": {"label": "单位名称", "old": "甲镇司法所", "new": "甲镇司法所（新）"},
        "phone": {"label": "联系电话", "old": "", "new": "0771-1234567"},
    }
    # Saving without a change writes nothing.
    unit.save()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE, model="org.handlingunit").count() == 1

    pk = unit.pk
    unit.delete()
    deleted = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, model="org.handlingunit", object_id=str(pk))
    assert deleted.object_repr == "甲镇司法所（新）"
    assert deleted.changes["contact"]["old"] == "王会计"
    assert deleted.user is None


def test_delete_through_a_request_records_who_and_where(world, client):
    unit = HandlingUnitFactory(region=world.town_b, name="乙镇供电所")
    client.force_login(world.sysadmin, backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("admin:org_handlingunit_delete", args=[unit.pk])
    r = client.post(url, {"post": "yes"}, REMOTE_ADDR="192.0.2.7")
    assert r.status_code == 302
    assert not HandlingUnit.objects.filter(pk=unit.pk).exists()
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DELETE, model="org.handlingunit", object_id=str(unit.pk))
    assert entry.user == world.sysadmin
    assert entry.username == "sysadmin"
    assert entry.ip == "192.0.2.7"
    assert entry.path == url
    assert entry.model_label == "承办单位"


def test_login_logout_and_failed_login_are_logged_with_ip(world, client):
    r = post_login(client, world.clerk_a.username, "not-the-password", ip="198.51.100.3")
    assert r.status_code == 200
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert (failed.username, failed.ip, failed.user) == ("clerk_a", "198.51.100.3", None)

    r = post_login(client, world.clerk_a.username, world.password, ip="198.51.100.3")
    assert r.status_code == 302
    login_entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert (login_entry.user, login_entry.ip) == (world.clerk_a, "198.51.100.3")

    client.post(LOGOUT, REMOTE_ADDR="198.51.100.4")
    logout_entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGOUT)
    assert (logout_entry.user, logout_entry.username, logout_entry.ip) == (world.clerk_a, "clerk_a", "198.51.100.4")
    # The password typed is never stored.
    assert "not-the-password" not in str(list(AuditEntry.objects.values()))


def test_password_change_is_logged_without_the_hash(world, login):
    c = login(world.clerk_a)
    AuditEntry.objects.all().delete()
    c.post(
        PASSWORD_CHANGE,
        {"old_password": world.password, "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD},
        REMOTE_ADDR="203.0.113.9",
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, model="org.user", object_id=str(world.clerk_a.pk))
    assert (entry.user, entry.ip) == (world.clerk_a, "203.0.113.9")
    assert entry.changes["password"]["old"] == "***"
    assert "md5$" not in str(entry.changes) and "pbkdf2" not in str(entry.changes)


# --- the audit list and its export -------------------------------------------------------


@pytest.fixture
def audit_rows(world):
    AuditEntry.objects.all().delete()
    day = timezone.make_aware(datetime.datetime(2025, 3, 10, 9, 0))
    rows = [
        AuditEntry(time=day, username="alpha", action=AuditEntry.Action.LOGIN, ip="10.9.0.1"),
        AuditEntry(time=day + datetime.timedelta(days=1), username="alpha", action=AuditEntry.Action.UPDATE),
        AuditEntry(time=day + datetime.timedelta(days=2), username="bravo", action=AuditEntry.Action.LOGIN),
        AuditEntry(
            time=day + datetime.timedelta(days=3),
            username="bravo",
            action=AuditEntry.Action.CREATE,
            model="org.handlingunit",
            model_label="承办单位",
            object_id="77",
            object_repr='=HYPERLINK("http://evil.example/","点我")',
            changes={"name": {"label": "单位名称", "old": None, "new": "+cmd|' /C calc'!A0"}},
        ),
    ]
    AuditEntry.objects.bulk_create(rows)
    return rows


def _listed(client, **params):
    r = client.get(AUDIT, params)
    assert r.status_code == 200
    return [(e.username, e.action) for e in r.context["page_obj"].object_list if e.username in ("alpha", "bravo")]


def test_audit_list_filters(world, login, audit_rows):
    c = login(world.auditor)
    assert len(_listed(c)) == 4
    assert sorted(_listed(c, action="login")) == [("alpha", "login"), ("bravo", "login")]
    assert {u for u, _ in _listed(c, username="alph")} == {"alpha"}
    assert _listed(c, date_from="2025-03-11", date_to="2025-03-12") == [("bravo", "login"), ("alpha", "update")]
    assert _listed(c, username="bravo", action="create") == [("bravo", "create")]
    assert _listed(c, ip="10.9.0.1") == [("alpha", "login")]
    assert _listed(c, ip="not-an-ip") == []
    assert _listed(c, model="承办") == [("bravo", "create")]


def _export_rows(response):
    content = b"".join(response.streaming_content)
    ws = load_workbook(io.BytesIO(content), read_only=True).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_audit_export_is_a_filtered_xlsx(world, login, audit_rows):
    c = login(world.auditor)
    r = c.get(AUDIT_EXPORT, {"username": "alpha"})
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment")
    rows = _export_rows(r)
    assert rows[0] == ["时间", "账号", "IP地址", "操作", "对象类型", "对象ID", "对象", "变更内容"]
    assert [row[1] for row in rows[1:]] == ["alpha", "alpha"]
    login_row = next(row for row in rows[1:] if row[3] == "登录")
    assert login_row[0] == "2025-03-10 09:00:00"
    assert login_row[2] == "10.9.0.1"
    # The export itself is audited.
    assert AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT, user=world.auditor).exists()


def test_audit_export_neutralises_formulas(world, login, audit_rows):
    c = login(world.auditor)
    rows = _export_rows(c.get(AUDIT_EXPORT, {"action": "create", "username": "bravo"}))
    assert len(rows) == 2
    row = rows[1]
    assert row[6] == "'" + '=HYPERLINK("http://evil.example/","点我")'
    assert row[7] == "单位名称：None → +cmd|' /C calc'!A0"  # starts with text, so harmless as it is
    for value in row:
        assert not (isinstance(value, str) and value[:1] in "=+-@"), row


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_safe_cell_quotes_formula_starts(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["张三", "1+1", "", 5, None, 3.5])
def test_safe_cell_leaves_plain_values(value):
    assert safe_cell(value) == value


# --- production configuration ------------------------------------------------------------


def test_check_deploy_passes_with_production_environment():
    root = Path(django_settings.BASE_DIR)
    # The test run's own environment minus what points at services or weakens the checks
    # (a browser test sets DJANGO_ALLOW_ASYNC_UNSAFE in this process, for one).
    dropped = ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")
    env = {
        k: v for k, v in os.environ.items() if k not in dropped and not k.startswith(("SECURE_", "SESSION_", "CSRF_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="portal.example.cn",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "System check identified no issues" in output, output
