from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("region/switch/", views.RegionSwitchView.as_view(), name="region-switch"),
    path("jobs/", views.JobListView.as_view(), name="job-list"),
    path("jobs/new/", views.JobCreateView.as_view(), name="job-create"),
    path("jobs/<int:pk>/", views.JobDetailView.as_view(), name="job-detail"),
    path("jobs/<int:pk>/row/", views.JobRowView.as_view(), name="job-row"),
    path("jobs/<int:pk>/download/", views.JobDownloadView.as_view(), name="job-download"),
    path("audit/", views.AuditListView.as_view(), name="audit-list"),
    path("audit/export/", views.AuditExportView.as_view(), name="audit-export"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
]
