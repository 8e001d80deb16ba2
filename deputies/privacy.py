"""Who sees a deputy's ID number and phone in full (DESIGN: the deputy's own township clerk
and county staff over it), and the masked forms everyone else sees."""

from __future__ import annotations

from org.models import user_memberships
from org.roles import Role


def mask_id_number(value: str | None) -> str:
    """5101**********1234: first four and last four kept."""
    if not value:
        return ""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str:
    """139****5678: first three and last four kept."""
    if not value:
        return ""
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def full_view_paths(user) -> list[str]:
    """Region paths under which `user` may see personal data in full."""
    return [
        m.region.path
        for m in user_memberships(user)
        if m.role == Role.COUNTY_ADMIN or (m.role == Role.TOWNSHIP_CLERK and m.region.is_township)
    ]


def may_see_full(user, deputy) -> bool:
    """Whether `user` may see this deputy's ID number and phone unmasked."""
    region_path = deputy.region.path
    return any(region_path.startswith(p) for p in full_view_paths(user))
