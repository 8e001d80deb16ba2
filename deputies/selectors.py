"""Reads over deputies for lists and dashboards."""

from django.db.models import Count, Q

from .models import Deputy, Mandate


def serving_counts(region):
    """Serving township deputies under `region`, by gender, in one grouped query."""
    qs = Mandate.objects.filter(
        status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP, region__path__startswith=region.path
    )
    return qs.aggregate(
        total=Count("pk"),
        women=Count("pk", filter=Q(deputy__gender=Deputy.Gender.FEMALE)),
        cpc=Count("pk", filter=Q(deputy__party=Deputy.Party.CPC)),
    )


def serving_by_township(region):
    """Per township under `region`: serving township deputies (one grouped query)."""
    return list(
        Mandate.objects.filter(
            status=Mandate.Status.SERVING, level=Mandate.Level.TOWNSHIP, region__path__startswith=region.path
        )
        .values("region__name", "region__code")
        .annotate(n=Count("pk"))
        .order_by("region__code")
    )
