"""URLs of the registers part (added to stations/urls.py)."""

urlpatterns: list = []
