"""URLs of the meetings part (added to congress/urls.py)."""

from django.urls import path

from . import views_meetings as views

urlpatterns = [
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings/new/", views.MeetingCreateView.as_view(), name="meeting-create"),
    path("meetings/compliance/", views.MeetingComplianceView.as_view(), name="meeting-compliance"),
    path("meetings/<int:pk>/", views.MeetingDetailView.as_view(), name="meeting-detail"),
    path("meetings/<int:pk>/edit/", views.MeetingUpdateView.as_view(), name="meeting-update"),
    path("meetings/<int:pk>/roll/", views.MeetingRollView.as_view(), name="meeting-roll"),
    path("meetings/<int:pk>/held/", views.MeetingHeldView.as_view(), name="meeting-held"),
    path("meetings/<int:pk>/agenda/new/", views.AgendaItemCreateView.as_view(), name="agenda-item-create"),
    path("meetings/<int:pk>/documents/", views.MeetingDocumentUploadView.as_view(), name="meeting-document-upload"),
    path("meetings/<int:pk>/signin.pdf", views.MeetingSigninPdfView.as_view(), name="meeting-signin-pdf"),
    path("meetings/<int:pk>/minutes.pdf", views.MeetingMinutesPdfView.as_view(), name="meeting-minutes-pdf"),
    path("meetings/documents/<int:pk>/", views.MeetingDocumentView.as_view(), name="meeting-document"),
    path("agenda/<int:pk>/edit/", views.AgendaItemUpdateView.as_view(), name="agenda-item-update"),
    path("agenda/<int:pk>/delete/", views.AgendaItemDeleteView.as_view(), name="agenda-item-delete"),
    path("agenda/<int:pk>/vote/", views.AgendaVoteView.as_view(), name="agenda-vote"),
    path("agenda/<int:pk>/candidates/", views.AgendaCandidatesView.as_view(), name="agenda-candidates"),
    path("agenda/<int:pk>/ballot.pdf", views.AgendaBallotPdfView.as_view(), name="agenda-ballot-pdf"),
]
