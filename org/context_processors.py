import hashlib
import uuid

from django.core.cache import cache
from django.db import connections
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from .menu import menu_for
from .models import user_memberships, user_roles
from .roles import Role
from .selectors import switchable_regions

# The region picker's options are the same for every user of the same counties and change
# only when a region does: they are kept in the cache (Redis in production) this long.
SWITCH_CACHE_SECONDS = 600


def _key(name: str) -> str:
    # The options are rows of this database: two portals (or two test processes) sharing one
    # Redis must not read each other's.
    db = str(connections["default"].settings_dict["NAME"])
    return f"org:{hashlib.sha256(db.encode()).hexdigest()[:12]}:{name}"


def portal(request):
    """The top bar and sidebar need the user's roles and, for county users, the regions
    they can switch between."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Every dashboard panel is rendered with the request, so this runs once per panel:
    # compute once per request, or each panel costs a query.
    cached = getattr(request, "_portal_context", None)
    if cached is not None and cached[0] == user.pk:
        return cached[1]
    roles = user_roles(user)
    active = getattr(request, "active_region", None)
    options = region_switch_menu(user, active) if Role.COUNTY_ADMIN in roles else ""
    ctx = {
        "user_roles": roles,
        "Role": Role,
        "switch_regions": bool(options),
        "switch_region_options": options,
        "active_region": active,
        "menu": menu_for(roles, user.is_superuser, request.path),
    }
    request._portal_context = (user.pk, ctx)
    return ctx


def bump_regions_version() -> None:
    """Forget every cached region picker (a region was added, renamed, moved or removed).
    Connected to Region's save and delete in OrgConfig.ready(); bulk loads call it."""
    cache.set(_key("regions-version"), uuid.uuid4().hex, None)


def region_changed(sender, **kwargs):
    bump_regions_version()


def region_switch_menu(user, active) -> str:
    """The top bar's <option>s for a county user, the active region selected. A province
    admin's list holds ~1,400 counties and townships: fetching and escaping them cost every
    page about half its time, so the options are built once per set of counties and kept in
    the cache, with the version of the regions they were built from."""
    paths = sorted({m.region.path for m in user_memberships(user) if m.role == Role.COUNTY_ADMIN})
    if not paths:
        return ""
    version_key = _key("regions-version")
    key = _key("region-switch:" + hashlib.sha256("|".join(paths).encode()).hexdigest())
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    entry = found.get(key)
    if entry is None or entry[0] != version:
        regions = switchable_regions(user)
        entry = (version, str(region_switch_options(regions)), regions[0].pk if regions else None)
        cache.set(key, entry, SWITCH_CACHE_SECONDS)
    _version, html, first = entry
    chosen = active.pk if active is not None else first
    if chosen is not None:
        html = html.replace(f'<option value="{chosen}">', f'<option value="{chosen}" selected>', 1)
    return mark_safe(html)  # noqa: S308 - built by format_html_join, names escaped


def region_switch_options(regions) -> str:
    """The <option>s, none selected, built in one pass (a template loop over ~1,400 cost tens
    of ms)."""
    return format_html_join(
        "",
        '<option value="{}">{}</option>',
        ((r.pk, f"{r.name}（全部）" if r.is_county_level else f"\u3000{r.name}") for r in regions),
    )
