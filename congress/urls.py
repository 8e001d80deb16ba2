from . import urls_livelihood, urls_meetings, urls_suggestions, urls_supervision

app_name = "congress"

# Each part of the app owns its URL module (and views_/forms_/services_/selectors_ modules).
urlpatterns = []
urlpatterns += urls_meetings.urlpatterns
urlpatterns += urls_supervision.urlpatterns
urlpatterns += urls_suggestions.urlpatterns
urlpatterns += urls_livelihood.urlpatterns
