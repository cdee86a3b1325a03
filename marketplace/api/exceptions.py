"""One place that turns domain errors into API responses that say what to fix."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from marketplace.money import MoneyError
from marketplace.transitions import InvalidTransition


def exception_handler(exc, context):
    if isinstance(exc, InvalidTransition):
        return Response(
            {"detail": str(exc), "status": exc.current, "allowed": sorted(exc.allowed)},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, DjangoValidationError):
        body = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, MoneyError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)
