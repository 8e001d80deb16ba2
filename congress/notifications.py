"""In-portal notifications (org.Notification) raised by congress work, and who gets them.

The model lives in org (a lower app); the helpers that decide who is told live here, so no
arrow points upward. A notification is personal, never regional: only its recipient reads it.
E-mail goes out beside it only when the deployment names an SMTP server (settings.EMAIL_HOST).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q

from org.models import Notification, User
from org.roles import Role

log = logging.getLogger(__name__)


def notification_send(*, users: Iterable, title: str, body: str = "", url: str = "") -> list[Notification]:
    """Leave one notification for each distinct active user in `users` (None skipped), in
    one insert, and e-mail those with an address when an SMTP server is configured. A
    failing mail server never fails the work that raised the notification."""
    seen: dict[int, User] = {}
    for user in users:
        if user is not None and user.is_active and user.pk not in seen:
            seen[user.pk] = user
    if not seen:
        return []
    title, url = title[:200], url[:300]
    rows = Notification.objects.bulk_create(
        [Notification(user=u, title=title, body=body, url=url) for u in seen.values()]
    )
    if getattr(settings, "EMAIL_HOST", ""):
        recipients = [u.email for u in seen.values() if u.email]
        if recipients:
            link = f"{settings.PUBLIC_BASE_URL}{url}" if url and getattr(settings, "PUBLIC_BASE_URL", "") else url
            text = "\n\n".join(part for part in (body, link) if part)
            # After the commit: a rolled-back step sends nothing, and a slow mail server does
            # not hold the row locks.
            transaction.on_commit(lambda: _mail(f"【乡镇人大履职管理平台】{title}", text, recipients))
    return rows


def _mail(subject: str, text: str, recipients: list[str]) -> None:
    # One message per recipient: no one learns the others' addresses. Mail is a courtesy;
    # the in-portal row is the record, so a failing server is logged, not raised.
    for address in recipients:
        try:
            send_mail(subject, text, None, [address], fail_silently=False)
        except Exception:  # noqa: BLE001
            log.exception("notification e-mail to %s failed", address)


def clerks_of(region) -> list[User]:
    """The township clerks of `region` (their membership is on the township itself)."""
    return list(
        User.objects.filter(
            memberships__role=Role.TOWNSHIP_CLERK, memberships__region=region, is_active=True
        ).distinct()
    )


def unit_users(unit_ids: Iterable[int]) -> list[User]:
    """The staff of the handling units `unit_ids`."""
    ids = list(unit_ids)
    if not ids:
        return []
    return list(
        User.objects.filter(
            Q(memberships__role=Role.HANDLING_UNIT) & Q(memberships__handling_unit_id__in=ids), is_active=True
        ).distinct()
    )


def unread_count(user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
