"""A page that fails with a customer's address in its error, to see what reaches Sentry (test_errors.py)."""

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config import urls as config_urls


@csrf_exempt
def boom(request):
    raise RuntimeError(f"could not refund {request.POST['email']}")


urlpatterns = [path("boom", boom), *config_urls.urlpatterns]
