from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from brokerage.models import Person
from brokerage.selectors import people_visible_to
from marketplace.scoping import get_visible_or_404


@login_required
def people_list(request):
    page = Paginator(people_visible_to(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "brokerage/people_list.html", {"page": page})


@login_required
def person_detail(request, pk: int):
    person = get_visible_or_404(request.user, people_visible_to(request.user), pk=pk)
    return render(request, "brokerage/person_detail.html", {"person": person})
