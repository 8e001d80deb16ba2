"""A room's QR code and poster for its public opinion page (clerks; in the "stations" namespace)."""

from django.urls import path

from . import views_public

urlpatterns = [
    path("<int:pk>/qr/", views_public.StationQrView.as_view(), name="station-qr"),
    path("<int:pk>/poster/", views_public.StationPosterView.as_view(), name="station-poster"),
]
