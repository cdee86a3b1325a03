"""The person's own view of their support. Only the person and their representative see it: for
anyone else, brokers and council officers included, a person's page does not exist (404)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from cms.my_support.selectors import council_contact, my_support, people_supported_by, person_for_own_view


@login_required
def my_support_start(request):
    """Straight to the person's page when the user supports one person; a choice when they
    represent several; a page saying whom to contact when they support nobody yet."""
    people = list(people_supported_by(request.user))
    if len(people) == 1:
        return redirect("cms:my_support_person", person_id=people[0].pk)
    if not people:
        return render(request, "cms/my_support/nothing.html", {"council": council_contact()})
    return render(request, "cms/my_support/choose.html", {"people": people})


@login_required
def my_support_person(request, person_id: int):
    person = person_for_own_view(request.user, person_id)
    support = my_support(person, today=timezone.localdate())
    return render(request, "cms/my_support/person.html", {
        "person": person,
        "support": support,
        "is_self": person.user_id == request.user.pk,
        "represents_several": people_supported_by(request.user).count() > 1,
    })
