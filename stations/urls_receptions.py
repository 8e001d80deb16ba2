"""URLs of the receptions part (added to stations/urls.py)."""

from django.urls import path

from . import views_receptions as views

urlpatterns = [
    path("receptions/", views.ReceptionListView.as_view(), name="reception-list"),
    path("receptions/new/", views.ReceptionCreateView.as_view(), name="reception-create"),
    path("receptions/<int:pk>/", views.ReceptionDetailView.as_view(), name="reception-detail"),
    path("receptions/<int:pk>/edit/", views.ReceptionUpdateView.as_view(), name="reception-update"),
    # pk is the room's: the deputies on its 值日表 for ?date= (the reception form's prefill).
    path("receptions/roster/<int:pk>/", views.ReceptionRosterView.as_view(), name="reception-roster"),
    path("issues/", views.IssueListView.as_view(), name="issue-list"),
    path("issues/new/", views.IssueCreateView.as_view(), name="issue-create"),
    path("issues/<int:pk>/", views.IssueDetailView.as_view(), name="issue-detail"),
    path("issues/<int:pk>/photo/", views.IssuePhotoView.as_view(), name="issue-photo"),
    path("issues/<int:pk>/answer/", views.IssueAnswerView.as_view(), name="issue-answer"),
    path("unit-issues/", views.UnitIssueListView.as_view(), name="unit-issue-list"),
]
