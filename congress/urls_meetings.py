"""URLs of the meetings part (added to congress/urls.py)."""

urlpatterns: list = []
