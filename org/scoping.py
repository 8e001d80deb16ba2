"""The scoping rule of DESIGN.md section 4, in one place.

`Model.objects.for_user(user, action)` returns only the rows in the regions the user's
memberships cover. A model says how it reaches its township region with
`scope_region_field` ("region", "deputy__region", "" for Region itself), which roles may
write it with `scope_write_roles`, and may add rows a role sees outside the region rule
(a deputy's own record, a unit's assigned work) with `scope_extra_q(user, action)`.
Base views apply it, so no view can forget; a row outside scope is a 404.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from .roles import DEFAULT_WRITE_ROLES, REGION_READ_ROLES

VIEW = "view"
CHANGE = "change"


def region_prefix(model) -> str:
    field = getattr(model, "scope_region_field", None)
    if field is None:
        raise TypeError(f"{model.__name__} has no scope_region_field: it cannot be scoped")
    return f"{field}__" if field else ""


def roles_for(model, action: str) -> tuple[str, ...]:
    if action == VIEW:
        return tuple(REGION_READ_ROLES)
    return tuple(getattr(model, "scope_write_roles", DEFAULT_WRITE_ROLES))


def scope_q(model, user, action: str = VIEW) -> Q | None:
    """The filter that limits `model` to what `user` may `action`; None means nothing."""
    from .models import user_memberships

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    roles = roles_for(model, action)
    paths = sorted({m.region.path for m in user_memberships(user) if m.role in roles})
    # A path inside another path adds nothing.
    paths = [p for p in paths if not any(p != o and p.startswith(o) for o in paths)]
    prefix = region_prefix(model)
    q = None
    for path in paths:
        part = Q(**{f"{prefix}path__startswith": path})
        q = part if q is None else q | part
    extra_hook = getattr(model, "scope_extra_q", None)
    extra = extra_hook(user, action) if extra_hook else None
    if extra is not None:
        q = extra if q is None else q | extra
    return q


class ScopedQuerySet(models.QuerySet):
    """A queryset that knows the scoping rule."""

    def for_user(self, user, action: str = VIEW):
        q = scope_q(self.model, user, action)
        return self.none() if q is None else self.filter(q)

    # NetBox's name for the same thing.
    restrict = for_user

    def in_region(self, region):
        """Narrow to one region's subtree (the region a county user is looking at)."""
        if region is None:
            return self
        return self.filter(**{f"{region_prefix(self.model)}path__startswith": region.path})


def can(user, action: str, obj) -> bool:
    """Whether `user` may `action` this one row: the same rule, asked of the database."""
    return type(obj)._default_manager.for_user(user, action).filter(pk=obj.pk).exists()
