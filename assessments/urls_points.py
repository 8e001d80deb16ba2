"""URLs of the points part (added to assessments/urls.py)."""

urlpatterns: list = []
