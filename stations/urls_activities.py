"""URLs of the activities part (added to stations/urls.py)."""

from django.urls import path

from . import views_activities as views

urlpatterns = [
    path("activities/", views.ActivityListView.as_view(), name="activity-list"),
    path("activities/new/", views.ActivityCreateView.as_view(), name="activity-create"),
    path("activities/<int:pk>/", views.ActivityDetailView.as_view(), name="activity-detail"),
    path("activities/<int:pk>/edit/", views.ActivityUpdateView.as_view(), name="activity-update"),
    path("activities/<int:pk>/delete/", views.ActivityDeleteView.as_view(), name="activity-delete"),
    path("activities/<int:pk>/confirm/", views.ActivityConfirmView.as_view(), name="activity-confirm"),
    path("activities/<int:pk>/reject/", views.ActivityRejectView.as_view(), name="activity-reject"),
    path("activities/<int:pk>/files/", views.ActivityFileUploadView.as_view(), name="activity-file-upload"),
    path("activities/files/<int:pk>/", views.ActivityFileView.as_view(), name="activity-file"),
    path("my/activities/", views.MyActivityListView.as_view(), name="my-activity-list"),
    path("my/activities/new/", views.MyActivityCreateView.as_view(), name="my-activity-create"),
]
