import os

from django.conf import settings
from django.http import JsonResponse
from django.urls import path


def health(request):
    # Names and shapes only: an endpoint must never echo a secret.
    return JsonResponse({
        "debug": settings.DEBUG,
        "secret_key_length": len(settings.SECRET_KEY),
        "database_engine": settings.DATABASES["default"]["ENGINE"],
        "workers": os.environ.get("WORKERS"),
    })


urlpatterns = [path("", health)]
