"""URLs of the stars part (added to assessments/urls.py)."""

urlpatterns: list = []
