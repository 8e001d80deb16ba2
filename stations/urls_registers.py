"""URLs of the registers part (added to stations/urls.py): the 五簿一档 of a room, of a
township (or village) region, and the index of rooms. The book and the year are query
parameters (?book=<key>|all&year=2026), so every URL takes only the row's pk."""

from django.urls import path

from . import views_registers as views

urlpatterns = [
    path("registers/", views.RegisterIndexView.as_view(), name="register-index"),
    path("<int:pk>/registers/", views.StationRegisterView.as_view(), name="register"),
    path("<int:pk>/registers/xlsx/", views.StationRegisterXlsxView.as_view(), name="register-xlsx"),
    path("<int:pk>/registers/pdf/", views.StationRegisterPdfView.as_view(), name="register-pdf"),
    path("regions/<int:pk>/registers/", views.RegionRegisterView.as_view(), name="township-register"),
    path("regions/<int:pk>/registers/xlsx/", views.RegionRegisterXlsxView.as_view(), name="township-register-xlsx"),
    path("regions/<int:pk>/registers/pdf/", views.RegionRegisterPdfView.as_view(), name="township-register-pdf"),
]
