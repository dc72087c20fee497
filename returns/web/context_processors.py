from django.conf import settings


def store(request):
    """The store's name and links, for every page."""
    return {
        "STORE_NAME": settings.STORE_NAME,
        "STORE_URL": settings.STORE_URL,
        "STORE_SUPPORT_EMAIL": settings.STORE_SUPPORT_EMAIL,
    }
