"""URLs of the compliance part (added to stations/urls.py)."""

urlpatterns: list = []
