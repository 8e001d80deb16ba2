from django.utils.html import format_html_join

from .menu import menu_for
from .models import user_roles
from .roles import Role
from .selectors import switchable_regions


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
    switch = switchable_regions(user) if Role.COUNTY_ADMIN in roles else []
    active = getattr(request, "active_region", None)
    ctx = {
        "user_roles": roles,
        "Role": Role,
        "switch_regions": switch,
        "switch_region_options": region_switch_options(switch, active),
        "active_region": active,
        "menu": menu_for(roles, user.is_superuser, request.path),
    }
    request._portal_context = (user.pk, ctx)
    return ctx


def region_switch_options(regions, active) -> str:
    """The top bar's <option>s, built here in one pass: a province admin's list holds
    ~1,400 counties and townships, and a template loop over them cost every page tens of
    milliseconds."""
    chosen = active.pk if active is not None else (regions[0].pk if regions else None)
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (
                r.pk,
                " selected" if r.pk == chosen else "",
                f"{r.name}（全部）" if r.is_county_level else f"\u3000{r.name}",
            )
            for r in regions
        ),
    )
