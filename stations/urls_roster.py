"""URLs of the roster part (added to stations/urls.py)."""

from django.urls import path

from . import views_roster as views

urlpatterns = [
    path("<int:pk>/roster/", views.RosterView.as_view(), name="roster"),
    path("<int:pk>/roster/generate/", views.RosterGenerateView.as_view(), name="roster-generate"),
    path("<int:pk>/roster/add/", views.RosterAddView.as_view(), name="roster-add"),
    path("<int:pk>/roster/pdf/", views.RosterPdfView.as_view(), name="roster-pdf"),
    path("roster/<int:pk>/edit/", views.RosterEntryUpdateView.as_view(), name="roster-update"),
    path("roster/<int:pk>/delete/", views.RosterEntryDeleteView.as_view(), name="roster-delete"),
    path("my-duty/", views.MyDutyView.as_view(), name="my-duty"),
]
