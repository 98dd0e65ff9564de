from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dashboards import views as dashboard_views
from ops import views as ops_views

admin.site.site_header = _("Đoàn Số administration")
admin.site.site_title = _("Đoàn Số")
admin.site.index_title = _("Framework and unit tree")

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("accounts.api_urls")),
    path("", include("units.api_urls")),
    path("", include("assessments.api_urls")),
    path("", include("activities.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("healthz", ops_views.healthz, name="healthz"),  # load balancers: anonymous, never cached
    path("accounts/", include("accounts.urls")),
    path("units/", include("units.urls")),
    path("", include("assessments.urls")),
    path("", include("activities.urls")),
    path("", include("dashboards.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_urlpatterns)),
]

# JSON under /api/, Django's pages elsewhere.
handler400 = "doanso.lib.errors.bad_request"
handler404 = "doanso.lib.errors.page_not_found"
handler500 = "doanso.lib.errors.server_error"
