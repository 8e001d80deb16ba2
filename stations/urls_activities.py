"""URLs of the activities part (added to stations/urls.py)."""

urlpatterns: list = []
