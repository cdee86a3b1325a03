from django.conf import settings


def site(request):
    """The running council's name, shown in the page header when it is configured."""
    return {"council_name": settings.COUNCIL_NAME}
