"""The 值日表: which deputies are on duty at a room on a reception day."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from deputies.models import Deputy
from org.models import user_roles
from org.roles import Role
from org.scoping import ScopedQuerySet

from .rooms import Station


class DutyRoster(models.Model):
    """One reception day of a room and the deputies on duty that day (值日表 entry).

    Generated for a month or a year from the room's reception-day rule with its groups'
    deputies in rotation (`generated`), then edited by hand: a day moved for a holiday or a
    deputy swapped keeps its row, with `edited` set so a regeneration leaves it alone.
    """

    scope_region_field = "station__region"

    station = models.ForeignKey(Station, verbose_name="阵地", on_delete=models.CASCADE, related_name="duty_days")
    date = models.DateField("值班日期")
    start_time = models.TimeField("开始时间", null=True, blank=True)
    end_time = models.TimeField("结束时间", null=True, blank=True)
    deputies = models.ManyToManyField(Deputy, verbose_name="值班代表", blank=True, related_name="duty_days")
    note = models.CharField("备注", max_length=200, blank=True, help_text="如：国庆节顺延至10月9日")
    generated = models.BooleanField("自动生成", default=False, editable=False)
    edited = models.BooleanField("人工调整", default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="编排人", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("编排时间", default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "值日表"
        verbose_name_plural = "值日表"
        ordering = ["station", "date"]
        constraints = [models.UniqueConstraint(fields=["station", "date"], name="duty_roster_unique_day")]
        indexes = [models.Index(fields=["date"], name="duty_roster_date")]

    def __str__(self):
        return f"{self.station}·{self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("stations:roster", args=[self.station_id]) + f"?year={self.date.year}&month={self.date.month}"

    @classmethod
    def scope_extra_q(cls, user, action):
        # A deputy reads the days it is on duty (anywhere).
        if action == "view" and Role.DEPUTY in user_roles(user):
            return models.Q(pk__in=cls.objects.filter(deputies__user=user).values("pk"))
        return None
