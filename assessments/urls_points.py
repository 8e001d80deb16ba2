"""URLs of the points part (added to assessments/urls.py)."""

from django.urls import path

from . import views_points as views

urlpatterns = [
    path("points/rules/", views.PointRuleListView.as_view(), name="point-rule-list"),
    path("points/rules/new/", views.PointRuleCreateView.as_view(), name="point-rule-create"),
    path("points/rules/preload/", views.PointRulePreloadView.as_view(), name="point-rule-preload"),
    path("points/rules/<int:pk>/edit/", views.PointRuleUpdateView.as_view(), name="point-rule-update"),
    path("points/rules/<int:pk>/delete/", views.PointRuleDeleteView.as_view(), name="point-rule-delete"),
    path("points/", views.PointsRankingView.as_view(), name="points-ranking"),
    path("points/minimums/", views.PointsMinimumsView.as_view(), name="points-minimums"),
    path("points/compute/", views.PointsComputeView.as_view(), name="points-compute"),
    path("points/mine/", views.MyPointsView.as_view(), name="my-points"),
]
