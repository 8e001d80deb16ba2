from django.urls import path

from . import urls_activities, urls_compliance, urls_qr, urls_receptions, urls_registers, urls_roster, views

app_name = "stations"

urlpatterns = [
    path("", views.StationListView.as_view(), name="station-list"),
    path("new/", views.StationCreateView.as_view(), name="station-create"),
    path("<int:pk>/", views.StationDetailView.as_view(), name="station-detail"),
    path("<int:pk>/edit/", views.StationUpdateView.as_view(), name="station-update"),
    path("<int:pk>/item/", views.StationItemStateView.as_view(), name="station-item-state"),
    path("<int:pk>/files/", views.StationFileUploadView.as_view(), name="station-file-upload"),
    path("files/<int:pk>/", views.StationFileDownloadView.as_view(), name="file-download"),
    path("evidence/<int:pk>/", views.EvidenceDownloadView.as_view(), name="evidence-download"),
    path("standards/", views.StandardListView.as_view(), name="standard-list"),
    path("standards/preload/", views.StandardPreloadView.as_view(), name="standard-preload"),
    path("standards/<int:pk>/", views.StandardDetailView.as_view(), name="standard-detail"),
    path("standards/items/<int:pk>/edit/", views.StandardItemUpdateView.as_view(), name="standard-item-update"),
]
# Each part of the app owns its URL module (and views_/forms_/services_/selectors_ modules).
urlpatterns += urls_roster.urlpatterns
urlpatterns += urls_receptions.urlpatterns
urlpatterns += urls_activities.urlpatterns
urlpatterns += urls_registers.urlpatterns
urlpatterns += urls_compliance.urlpatterns
urlpatterns += urls_qr.urlpatterns
