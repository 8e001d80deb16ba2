"""URLs of the assessment part (added to assessments/urls.py)."""

urlpatterns: list = []
