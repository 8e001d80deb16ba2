"""URLs of the supervision part (added to congress/urls.py)."""

urlpatterns: list = []
