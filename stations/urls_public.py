"""The public opinion page (群众意见): the address a room's QR code opens, no login."""

from django.urls import path

from . import views_public

app_name = "public"

urlpatterns = [
    path("thanks/", views_public.PublicThanksView.as_view(), name="thanks"),
    path("track/", views_public.PublicTrackView.as_view(), name="track"),
    path("<str:public_code>/", views_public.PublicOpinionView.as_view(), name="opinion"),
]
