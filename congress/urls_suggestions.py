"""URLs of the suggestions part (added to congress/urls.py)."""

from django.urls import path

from . import views_suggestions as views

urlpatterns = [
    path("suggestions/", views.SuggestionListView.as_view(), name="suggestion-list"),
    path("suggestions/new/", views.SuggestionCreateView.as_view(), name="suggestion-create"),
    path("suggestions/mine/", views.MySuggestionListView.as_view(), name="my-suggestion-list"),
    path("suggestions/stats/", views.SuggestionStatsView.as_view(), name="suggestion-stats"),
    path("suggestions/ledger.xlsx", views.SuggestionLedgerView.as_view(), name="suggestion-ledger-xlsx"),
    path("suggestions/<int:pk>/", views.SuggestionDetailView.as_view(), name="suggestion-detail"),
    path("suggestions/<int:pk>/edit/", views.SuggestionUpdateView.as_view(), name="suggestion-update"),
    path("suggestions/<int:pk>/submit/", views.SuggestionSubmitView.as_view(), name="suggestion-submit"),
    path("suggestions/<int:pk>/accept/", views.SuggestionAcceptView.as_view(), name="suggestion-accept"),
    path("suggestions/<int:pk>/refuse/", views.SuggestionRefuseView.as_view(), name="suggestion-refuse"),
    path("suggestions/<int:pk>/assign/", views.SuggestionAssignView.as_view(), name="suggestion-assign"),
    path("suggestions/<int:pk>/rate/", views.SuggestionRateView.as_view(), name="suggestion-rate"),
    path("suggestions/<int:pk>/close/", views.SuggestionCloseView.as_view(), name="suggestion-close"),
    path("suggestions/<int:pk>/key/", views.SuggestionKeyView.as_view(), name="suggestion-key"),
    # The handling unit's inbox, and the answer page of one assignment (pk: SuggestionAssignment).
    path("unit-suggestions/", views.UnitSuggestionListView.as_view(), name="unit-suggestion-list"),
    path("assignments/<int:pk>/answer/", views.AssignmentAnswerView.as_view(), name="assignment-answer"),
    # The user's own in-portal notifications (personal, not regional).
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notification-read"),
]
