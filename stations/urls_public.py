"""The public opinion page (群众意见): filled in by the public part."""

app_name = "public"

urlpatterns: list = []
