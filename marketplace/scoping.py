"""What each user may see: one rule per model, applied by every view and API endpoint.

Each app registers, in its ``selectors.py``, a rule that narrows a queryset of one of its models
to the rows a user may see. Views call :func:`visible_to` or :func:`get_visible_or_404`; API
viewsets inherit :class:`marketplace.api.views.ScopedViewSetMixin`. A model with no rule cannot be
read through them at all (fail closed), and an object outside a user's scope is simply not found:
404, never 403, so its existence is not revealed.
"""

from collections.abc import Callable

from django.db import models
from django.http import Http404

from marketplace.models import User

ScopeRule = Callable[[User, models.QuerySet], models.QuerySet]

_rules: dict[type[models.Model], ScopeRule] = {}


class NoScopeRule(LookupError):
    """A model was read through the scoped path without a registered rule (a programming error)."""


def scope_rule(model: type[models.Model]) -> Callable[[ScopeRule], ScopeRule]:
    """Register ``function(user, queryset) -> queryset`` as the visibility rule for ``model``."""

    def register(function: ScopeRule) -> ScopeRule:
        if model in _rules and _rules[model] is not function:
            raise ValueError(f"{model.__name__} already has a scope rule")
        _rules[model] = function
        return function

    return register


def has_rule(model: type[models.Model]) -> bool:
    return model in _rules


def visible_to(user: User, queryset: models.QuerySet | type[models.Model]) -> models.QuerySet:
    """``queryset`` narrowed to what ``user`` (possibly anonymous) may see."""
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    model = queryset.model
    rule = _rules.get(model) or _rules.get(model._meta.concrete_model)
    if rule is None:
        raise NoScopeRule(f"No scope rule for {model.__name__}; register one with @scope_rule")
    return rule(user, queryset)


def get_visible_or_404(user: User, queryset: models.QuerySet | type[models.Model], **lookup) -> models.Model:
    try:
        return visible_to(user, queryset).get(**lookup)
    except (models.ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None
