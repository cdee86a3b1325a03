import importlib

import pytest
from django.urls import Resolver404, resolve
from django.views.static import serve

import marketplace.urls


def test_development_media_serving_never_serves_evidence(settings):
    settings.DEBUG = True
    module = importlib.reload(marketplace.urls)
    try:
        assert resolve("/media/original_images/photo.png", urlconf=module).func is serve
        with pytest.raises(Resolver404):
            resolve("/media/evidence/12/4f0c.pdf", urlconf=module)
    finally:
        settings.DEBUG = False
        importlib.reload(marketplace.urls)
