"""Council console: gaps in the market. Care package requests that got no offer by their
deadline, or matched no approved provider at all, grouped by type of support and postcode
district so contract officers can see where more provision is needed; contract officers only."""

from django.urls import path, reverse
from django.views.generic import TemplateView

from brokerage.console import ContractOfficerMenuItem, ContractOfficerRequired
from brokerage.selectors.package_requests import market_gaps
from brokerage.services.package_requests import how_much
from marketplace.console import ConsolePage

# The console lists the latest flagged requests; the groups above the list count every one.
LATEST = 200


class MarketGapsView(ContractOfficerRequired, ConsolePage, TemplateView):
    page_title = "Market gaps"
    header_icon = "warning"
    template_name = "brokerage/console/market_gaps.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        groups, requests = market_gaps()
        requests = list(requests[:LATEST])
        for item in requests:
            item.how_much = how_much(item)
        context.update(groups=groups, requests=requests, latest=LATEST,
                       total=sum(group.count for group in groups))
        return context


urlpatterns = [
    path("market-gaps/", MarketGapsView.as_view(), name="market_gaps"),
]


def _market_gaps_item():
    return ContractOfficerMenuItem("Market gaps", reverse("market_gaps"), icon_name="warning", order=196)


menu_items = [_market_gaps_item]
