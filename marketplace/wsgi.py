import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")

from marketplace.env import check_settings_or_exit  # noqa: E402

check_settings_or_exit()
application = get_wsgi_application()
