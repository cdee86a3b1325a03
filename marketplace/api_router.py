"""The REST API under /api/v1/: each app's viewsets registered on one router."""

from rest_framework.routers import DefaultRouter

from brokerage.api.negotiations import NegotiationViewSet
from brokerage.api.oversight import BudgetTransitionViewSet, DirectPaymentReviewViewSet
from brokerage.api.package_requests import PackageRequestViewSet, PackageResponseViewSet
from brokerage.api.plans import SupportPlanViewSet
from brokerage.api.views import AssessmentViewSet, PersonalBudgetViewSet, PersonViewSet, RasVersionViewSet
from isf.api import IsfContractViewSet
from isf.api_invoices import InvoiceViewSet
from isf.api_payments import PaymentRunViewSet, PaymentViewSet
from providers.api.views import (
    AreaViewSet,
    CategoryViewSet,
    ClientGroupViewSet,
    LanguageViewSet,
    OrganisationViewSet,
    RateCardViewSet,
    ServiceListingViewSet,
)

router = DefaultRouter()
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("services", ServiceListingViewSet, basename="service")
router.register("rate-cards", RateCardViewSet, basename="rate-card")
router.register("categories", CategoryViewSet, basename="category")
router.register("client-groups", ClientGroupViewSet, basename="client-group")
router.register("languages", LanguageViewSet, basename="language")
router.register("areas", AreaViewSet, basename="area")
router.register("people", PersonViewSet, basename="person")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("budgets", PersonalBudgetViewSet, basename="budget")
router.register("ras-versions", RasVersionViewSet, basename="ras-version")
router.register("support-plans", SupportPlanViewSet, basename="support-plan")
router.register("package-requests", PackageRequestViewSet, basename="package-request")
router.register("package-responses", PackageResponseViewSet, basename="package-response")
router.register("direct-payment-reviews", DirectPaymentReviewViewSet, basename="direct-payment-review")
router.register("budget-transitions", BudgetTransitionViewSet, basename="budget-transition")
router.register("negotiations", NegotiationViewSet, basename="negotiation")
router.register("isf-contracts", IsfContractViewSet, basename="isf-contract")
router.register("isf-invoices", InvoiceViewSet, basename="isf-invoice")
router.register("payment-runs", PaymentRunViewSet, basename="payment-run")
router.register("payments", PaymentViewSet, basename="payment")
