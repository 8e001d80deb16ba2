"""Celery tasks of congress: thin wrappers around the services."""

from celery import shared_task
from django.utils import timezone

from .services_suggestions import suggestions_flag_overdue


@shared_task(name="congress.tasks.flag_overdue_suggestions")
def flag_overdue_suggestions() -> dict:
    """Daily on beat (config/settings.py CELERY_BEAT_SCHEDULE): flag overdue suggestions and
    tell their clerks and units, at most once a week per suggestion."""
    return suggestions_flag_overdue(today=timezone.localdate())
