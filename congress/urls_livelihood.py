"""URLs of the livelihood part (added to congress/urls.py)."""

from django.urls import path

from . import views_livelihood as views

urlpatterns = [
    path("livelihood/", views.LivelihoodListView.as_view(), name="livelihood-list"),
    path("livelihood/shortlist/", views.LivelihoodShortlistView.as_view(), name="livelihood-shortlist"),
    path("livelihood/agenda/", views.LivelihoodAgendaView.as_view(), name="livelihood-agenda"),
    path("livelihood/new/", views.LivelihoodCreateView.as_view(), name="livelihood-create"),
    path("livelihood/<int:pk>/", views.LivelihoodDetailView.as_view(), name="livelihood-detail"),
    path("livelihood/<int:pk>/edit/", views.LivelihoodUpdateView.as_view(), name="livelihood-update"),
    path("livelihood/<int:pk>/ballots/", views.LivelihoodBallotsView.as_view(), name="livelihood-ballots"),
    path("livelihood/<int:pk>/progress/", views.LivelihoodProgressView.as_view(), name="livelihood-progress"),
    path("livelihood/<int:pk>/rate/", views.LivelihoodRateView.as_view(), name="livelihood-rate"),
    # pk is the session's (Meeting): the vote of all its projects.
    path("livelihood/vote/<int:pk>/", views.LivelihoodResultView.as_view(), name="livelihood-result"),
    path("livelihood/vote/<int:pk>/ballot.pdf", views.LivelihoodBallotPdfView.as_view(), name="livelihood-ballot-pdf"),
    path("livelihood/vote/<int:pk>/notice.pdf", views.LivelihoodNoticePdfView.as_view(), name="livelihood-notice-pdf"),
]
