from . import urls_assessment, urls_dashboard, urls_points, urls_stars

app_name = "assessments"

# Each part of the app owns its URL module (and views_/forms_/services_/selectors_ modules).
urlpatterns = []
urlpatterns += urls_points.urlpatterns
urlpatterns += urls_stars.urlpatterns
urlpatterns += urls_assessment.urlpatterns
urlpatterns += urls_dashboard.urlpatterns
