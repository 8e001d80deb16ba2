"""URLs of the livelihood part (added to congress/urls.py)."""

urlpatterns: list = []
