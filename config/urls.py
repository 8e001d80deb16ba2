from django.contrib import admin
from django.urls import include, path

from org import views as org_views

admin.site.site_header = "乡镇人大履职管理平台 · 系统管理"
admin.site.site_title = "系统管理"
admin.site.index_title = "系统管理"

urlpatterns = [
    path("", org_views.HomeView.as_view(), name="home"),
    path("login/", org_views.LoginView.as_view(), name="login"),
    path("logout/", org_views.LogoutView.as_view(), name="logout"),
    path("password/", org_views.PasswordChangeView.as_view(), name="password-change"),
    path("healthz", org_views.healthz, name="healthz"),
    path("org/", include("org.urls")),
    path("deputies/", include("deputies.urls")),
    path("stations/", include("stations.urls")),
    path("congress/", include("congress.urls")),
    path("assessments/", include("assessments.urls")),
    # The public opinion page a room's QR code opens: short, no login.
    path("v/", include("stations.urls_public")),
    path("sysadmin/", admin.site.urls),
]

handler403 = org_views.error_view(403, "403.html")
handler404 = org_views.error_view(404, "404.html")
handler500 = org_views.error_view(500, "500.html")
