"""URLs of the compliance part (added to stations/urls.py)."""

from django.urls import path

from . import views_compliance as views

urlpatterns = [
    path("compliance/", views.ComplianceView.as_view(), name="compliance"),
]
