"""Panel registries: a page of a lower app shows what later apps record without importing
them. A later app registers a panel in its AppConfig.ready(); the page asks the registry.

Used for the role dashboards here, and by deputies/ for the duty file. A panel's context
function should ask its counts through `org.batch.aggregate()` and leave them unread, so
the page sends all panels' counts in one query.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.loader import render_to_string

from .batch import batched


@dataclass(order=True)
class Panel:
    order: int
    key: str = field(compare=False)
    title: str = field(compare=False)
    template: str = field(compare=False)
    # (request, subject) -> context dict, or None to hide the panel for this subject.
    context: Callable = field(compare=False)
    roles: tuple[str, ...] = field(compare=False, default=())


class PanelRegistry:
    def __init__(self, name: str):
        self.name = name
        self._panels: dict[str, Panel] = {}

    def register(self, *, key: str, title: str, template: str, order: int = 100, roles=()):
        """Decorator for the context function of a panel."""

        def wrap(fn):
            self._panels[key] = Panel(
                order=order, key=key, title=title, template=template, context=fn, roles=tuple(roles)
            )
            return fn

        return wrap

    def panels(self, roles=None):
        chosen = sorted(self._panels.values())
        if roles is not None:
            chosen = [p for p in chosen if not p.roles or set(p.roles) & set(roles)]
        return chosen

    def render(self, request, subject, roles=None) -> list[dict]:
        # Every panel is asked for its context before any is rendered, so the counts they
        # ask through org.batch.aggregate() go to the database together, in one query.
        with batched():
            contexts = [(panel, panel.context(request, subject)) for panel in self.panels(roles)]
        out = []
        for panel, ctx in contexts:
            if ctx is None:
                continue
            html = render_to_string(panel.template, {**ctx, "panel": panel, "subject": subject}, request=request)
            out.append({"key": panel.key, "title": panel.title, "html": html})
        return out


dashboard_panels = PanelRegistry("dashboard")
