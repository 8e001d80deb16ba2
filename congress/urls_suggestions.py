"""URLs of the suggestions part (added to congress/urls.py)."""

urlpatterns: list = []
