from django.urls import path

from . import views

app_name = "deputies"

urlpatterns = [
    path("", views.DeputyListView.as_view(), name="deputy-list"),
    path("<int:pk>/", views.DeputyDetailView.as_view(), name="deputy-detail"),
    path("me/", views.MyDutyFileView.as_view(), name="my-duty-file"),
]
