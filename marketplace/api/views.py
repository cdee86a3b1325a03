from rest_framework import viewsets

from marketplace.scoping import visible_to


class ScopedViewSetMixin:
    """Every API viewset reads through the model's scope rule, so another organisation's object
    is a 404 and never appears in a list. Subclasses set ``queryset`` as usual."""

    def get_queryset(self):
        return visible_to(self.request.user, super().get_queryset())


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass
