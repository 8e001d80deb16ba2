"""URLs of the supervision part (added to congress/urls.py)."""

from django.urls import path

from . import views_supervision as views

urlpatterns = [
    path("supervision/", views.SupervisionListView.as_view(), name="supervision-list"),
    path("supervision/export/", views.SupervisionExportView.as_view(), name="supervision-export"),
    path("supervision/new/", views.SupervisionCreateView.as_view(), name="supervision-create"),
    path("supervision/plans/new/", views.PlanCreateView.as_view(), name="supervision-plan-create"),
    path("supervision/plans/<int:pk>/", views.PlanDetailView.as_view(), name="supervision-plan"),
    path("supervision/<int:pk>/", views.SupervisionDetailView.as_view(), name="supervision-detail"),
    path("supervision/<int:pk>/edit/", views.SupervisionUpdateView.as_view(), name="supervision-update"),
    path("supervision/<int:pk>/delete/", views.SupervisionDeleteView.as_view(), name="supervision-delete"),
    path("supervision/<int:pk>/hold/", views.SupervisionHoldView.as_view(), name="supervision-hold"),
    path("supervision/<int:pk>/opinion/", views.SupervisionOpinionView.as_view(), name="supervision-opinion"),
    path(
        "supervision/<int:pk>/rectification/",
        views.SupervisionRectificationView.as_view(),
        name="supervision-rectification",
    ),
    path("supervision/<int:pk>/follow-up/", views.SupervisionFollowUpView.as_view(), name="supervision-follow-up"),
    # The supervised unit's staff: the items of their unit, and the rectification report.
    path("unit-supervision/", views.UnitSupervisionListView.as_view(), name="unit-supervision-list"),
    path("unit-supervision/<int:pk>/", views.UnitSupervisionDetailView.as_view(), name="unit-supervision-detail"),
]
