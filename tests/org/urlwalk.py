"""Walking the URLconf: every pattern with its full route, namespaced name and kwargs.

Used by the generic scoping test and by tests that must visit every page."""

from __future__ import annotations

import dataclasses

from django.urls import URLPattern, URLResolver

SKIPPED_NAMESPACES = {"admin"}


@dataclasses.dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", "" when the pattern has none
    route: str  # the pattern as written, e.g. "deputies/<int:pk>/"
    callback: object
    kwargs: tuple[str, ...]

    @property
    def view_class(self):
        return getattr(self.callback, "view_class", None)

    @property
    def test_id(self):
        return f"{self.name or '(unnamed)'} /{self.route}"


def walk(patterns, prefix="", namespace="", kwargs=()):
    """Every URLPattern under `patterns`, with its full route, namespaced name and kwargs."""
    for p in patterns:
        own_kwargs = tuple(p.pattern.regex.groupindex)
        if isinstance(p, URLResolver):
            if p.namespace in SKIPPED_NAMESPACES:
                continue
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, prefix + str(p.pattern), ns, kwargs + own_kwargs)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else ""
            yield Route(name=name, route=prefix + str(p.pattern), callback=p.callback, kwargs=kwargs + own_kwargs)
