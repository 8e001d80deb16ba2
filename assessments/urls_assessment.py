"""URLs of the assessment part (added to assessments/urls.py)."""

from django.urls import path

from . import views_assessment as views

urlpatterns: list = [
    path("targets/", views.AssessmentListView.as_view(), name="assessment-list"),
    path("targets/new/", views.AssessmentCreateView.as_view(), name="assessment-create"),
    path("targets/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment-detail"),
    path("targets/results/<int:pk>/", views.TownshipResultDetailView.as_view(), name="township-result"),
    path("targets/scores/<int:pk>/", views.ScoreUpdateView.as_view(), name="score-update"),
    path("targets/items/<int:pk>/", views.ChecklistItemUpdateView.as_view(), name="checklist-item-update"),
    path("targets/items/<int:pk>/delete/", views.ChecklistItemDeleteView.as_view(), name="checklist-item-delete"),
    path("publicity/", views.PublicityListView.as_view(), name="publicity-list"),
    path("publicity/new/", views.PublicityCreateView.as_view(), name="publicity-create"),
    path("publicity/<int:pk>/", views.PublicityUpdateView.as_view(), name="publicity-update"),
]
