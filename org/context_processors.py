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
    ctx = {
        "user_roles": roles,
        "Role": Role,
        "switch_regions": switchable_regions(user) if Role.COUNTY_ADMIN in roles else [],
        "active_region": getattr(request, "active_region", None),
        "menu": menu_for(roles, user.is_superuser, request.path),
    }
    request._portal_context = (user.pk, ctx)
    return ctx
