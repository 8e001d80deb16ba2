"""URLs of the dashboard part (added to assessments/urls.py)."""

from django.urls import path

from . import views_dashboard as v

urlpatterns: list = [
    path("dashboard/", v.DashboardView.as_view(), name="dashboard"),
]
