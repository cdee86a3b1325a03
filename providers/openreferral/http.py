"""JSON responses for the Open Referral API: open to every origin, never a cookie, never HTML.

The UK profile requires ``Access-Control-Allow-Origin: *`` on every response, errors included, so
browser-only tools can read the feed. The feed is anonymous and read-only: no view reads the
session or the user, so no cookie is set, and no CSRF token is needed for GET.
"""

import functools
import json
import re
import uuid
from decimal import Decimal

from django.core.handlers.exception import response_for_exception
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.views.decorators.csrf import csrf_exempt

ALLOWED_METHODS = "GET, HEAD, OPTIONS"

# Decimal amounts go through the encoder as a marked string, and the marks are taken off after, so
# 26.50 is written as the number 26.50 — never through a float. The mark is random per process, so
# no text a provider writes can carry it.
_MARK = uuid.uuid4().hex
_MARKED_DECIMAL = re.compile(rf'"{_MARK}(-?[0-9]+(?:\.[0-9]+)?)"')


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal) and o.is_finite():
            return f"{_MARK}{o:f}"
        return super().default(o)


def dumps(data) -> str:
    return _MARKED_DECIMAL.sub(r"\1", json.dumps(data, cls=_Encoder, ensure_ascii=False))


def _open_to_all(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def json_response(data, status: int = 200) -> HttpResponse:
    return _open_to_all(HttpResponse(dumps(data), content_type="application/json", status=status))


def error_response(status: int, detail: str, problems: dict[str, list[str]] | None = None) -> HttpResponse:
    """``{"detail": ..., "errors": {parameter: [messages]}}``: what was wrong and what to send instead."""
    body = {"detail": detail}
    if problems:
        body["errors"] = problems
    return json_response(body, status=status)


def bad_parameters(problems: dict[str, list[str]]) -> HttpResponse:
    messages = "; ".join(message for parameter_messages in problems.values() for message in parameter_messages)
    return error_response(400, f"Bad query parameter: {messages}", problems)


def not_found(what: str = "Nothing here") -> HttpResponse:
    return error_response(404, f"{what}. See /openreferral/ for this API's endpoints.")


def endpoint(view):
    """An Open Referral endpoint: GET and HEAD, a CORS preflight answer to OPTIONS, a 405 in JSON
    for anything else, a 404 in JSON for ``Http404``, any other failure in JSON too (after Django
    has logged and reported it as usual), and the CORS header on all of them."""

    @csrf_exempt  # nothing here changes state; a POST gets the JSON 405 below, not an HTML 403
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = _open_to_all(HttpResponse(status=204))
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = request.headers.get("Access-Control-Request-Headers", "*")
            response["Access-Control-Max-Age"] = "86400"
            response["Allow"] = ALLOWED_METHODS
            return response
        if request.method not in ("GET", "HEAD"):
            response = error_response(405, f"The Open Referral API is read-only: use {ALLOWED_METHODS}.")
            response["Allow"] = ALLOWED_METHODS
            return response
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            response = not_found()
        except Exception as exc:
            status = response_for_exception(request, exc).status_code
            response = error_response(status, "The directory could not answer this request. Try again later."
                                      if status >= 500 else "This request cannot be answered.")
        return _open_to_all(response)

    return wrapped
