from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from accounts import views as accounts_views
from returns.api import inbound_email

handler500 = "returns.web.views.server_error"

admin.site.site_header = "Alotrop Returns"
admin.site.site_title = "Alotrop Returns staff"
admin.site.index_title = "Returns desk"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("account/", include("accounts.urls")),
    path("api/v1/", include("returns.api.urls")),
    # Email providers' webhooks (django-anymail): Postmark's behind our checks, any other's as anymail has them.
    path("anymail/postmark/inbound/", inbound_email.postmark_inbound, name="postmark_inbound"),
    path("anymail/postmark/tracking/", inbound_email.postmark_tracking, name="postmark_tracking"),
    path("anymail/", include("anymail.urls")),
    # Browsers and tools that ignore <link rel="icon"> still ask here: no 404 (a console error) on any page.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.ico"), permanent=True)),
    path("", accounts_views.home, name="home"),
    path("", include("returns.web.urls")),
]
