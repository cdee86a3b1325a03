from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketplace.health import run_checks
from marketplace.selectors import memberships_visible_to


@never_cache
@require_GET
def healthz(request):
    healthy, checks = run_checks()
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)


@login_required
def account(request):
    memberships = memberships_visible_to(request.user).filter(user=request.user)
    return render(request, "marketplace/account.html", {"memberships": memberships})
