import datetime
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from isf import ledger, services
from isf.constants import AccountKind, ContractStatus, SurplusStatus
from isf.models import IsfContract, LedgerTransaction, SurplusFlag
from marketplace.constants import Role
from marketplace.transitions import InvalidTransition
from tests.isf.statements.helpers import drawdown, release

pytestmark = pytest.mark.django_db

# £384.00 a week less the person's £40.00 contribution, four weeks carried.
ALLOWED = 4 * 34400


@pytest.fixture
def finance(council, make_member):
    return make_member(Role.FINANCE_OFFICER, council)


def on(contract) -> datetime.date:
    return contract.terms.order_by("effective_from").first().effective_from + datetime.timedelta(days=7)


def fund(contract, pence):
    release(contract, pence, on(contract) - datetime.timedelta(days=1))


def test_a_fund_exactly_at_the_rule_is_not_flagged_but_a_penny_more_is(isf, accepted):
    fund(isf, ALLOWED)
    above = accepted()
    fund(above, ALLOWED + 1)
    flags = services.surpluses_find(on=on(isf))
    assert [(flag.contract, flag.balance_pence, flag.allowed_pence, flag.surplus_pence) for flag in flags] == [
        (above, ALLOWED + 1, ALLOWED, 1)]
    assert flags[0].status == SurplusStatus.OPEN


def test_suspended_contracts_are_checked_and_ended_ones_are_not(accepted):
    suspended, ended = accepted(), accepted()
    fund(suspended, ALLOWED + 500)
    fund(ended, ALLOWED + 500)
    IsfContract.objects.filter(pk=suspended.pk).update(status=ContractStatus.SUSPENDED)
    IsfContract.objects.filter(pk=ended.pk).update(status=ContractStatus.ENDED)
    assert [flag.contract for flag in services.surpluses_find(on=on(suspended))] == [suspended]


def test_the_fund_is_read_as_it_stood_on_the_day(isf):
    fund(isf, ALLOWED)
    release(isf, 5000, on(isf) + datetime.timedelta(days=1))
    assert services.surpluses_find(on=on(isf)) == []
    assert services.surpluses_find(on=on(isf) + datetime.timedelta(days=1))[0].surplus_pence == 5000


def test_one_open_flag_per_contract_and_finding_again_changes_nothing(isf):
    fund(isf, ALLOWED + 100)
    [first] = services.surpluses_find(on=on(isf))
    release(isf, 900, on(isf))
    assert services.surpluses_find(on=on(isf)) == []
    first.refresh_from_db()
    assert (SurplusFlag.objects.count(), first.surplus_pence) == (1, 100)


def test_finding_uses_the_same_queries_however_many_contracts(isf, accepted):
    fund(isf, ALLOWED + 100)
    services.surpluses_find(on=on(isf))
    with CaptureQueriesContext(connection) as few:
        services.surpluses_find(on=on(isf))
    for _ in range(3):
        other = accepted()
        fund(other, ALLOWED)
    with CaptureQueriesContext(connection) as many:
        assert services.surpluses_find(on=on(isf)) == []
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.fixture
def flag(isf):
    fund(isf, ALLOWED + 12000)
    return services.surpluses_find(on=on(isf))[0]


def test_recovering_moves_the_surplus_to_the_councils_recoveries_once(flag, finance):
    contract = flag.contract
    recoveries = ledger.council_account(AccountKind.RECOVERIES)
    recovered = services.surplus_recover(flag=flag, by=finance, reason="Above the four-week rule")
    assert recovered.status == SurplusStatus.RECOVERED and recovered.decided_by == finance
    assert recovered.recovery.idempotency_key == f"surplus:{flag.pk}"
    assert ledger.balance(ledger.contract_fund_account(contract)) == ALLOWED
    assert ledger.balance(recoveries) == 12000
    again = services.surplus_recover(flag=flag, by=finance, reason="Clicked twice")
    assert again.recovery_id == recovered.recovery_id
    assert ledger.balance(recoveries) == 12000
    assert LedgerTransaction.objects.filter(idempotency_key=f"surplus:{flag.pk}").count() == 1


def test_a_smaller_amount_may_be_recovered(flag, finance):
    services.surplus_recover(flag=flag, by=finance, reason="Part of it", amount_pence=2000)
    assert ledger.balance(ledger.contract_fund_account(flag.contract)) == ALLOWED + 10000


def test_recovery_never_takes_more_than_the_fund_holds_now(flag, finance):
    drawdown(flag.contract, ALLOWED + 5000, on(flag.contract))
    with pytest.raises(ValidationError) as refused:
        services.surplus_recover(flag=flag, by=finance, reason="Above the rule")
    assert "The fund holds £70.00 now" in refused.value.message_dict["amount_pence"][0]
    flag.refresh_from_db()
    assert flag.status == SurplusStatus.OPEN and not LedgerTransaction.objects.filter(kind="recovery").exists()


def test_deciding_needs_a_finance_officer_and_a_reason(flag, finance, council, make_member):
    with pytest.raises(PermissionDenied):
        services.surplus_recover(flag=flag, by=make_member(Role.CONTRACT_OFFICER, council), reason="Because")
    with pytest.raises(ValidationError) as refused:
        services.surplus_waive(flag=flag, by=finance, reason="  ")
    assert refused.value.message_dict["reason"] == ["Enter why the surplus is being left with the provider"]
    waived = services.surplus_waive(flag=flag, by=finance, reason="Saved for a planned holiday")
    assert (waived.status, waived.reason) == (SurplusStatus.WAIVED, "Saved for a planned holiday")
    with pytest.raises(InvalidTransition):
        services.surplus_recover(flag=flag, by=finance, reason="Changed my mind")


def test_the_command_flags_surpluses_for_a_date(isf):
    fund(isf, ALLOWED + 100)
    out = StringIO()
    call_command("find_surpluses", "--date", on(isf).isoformat(), stdout=out)
    assert "Flagged 1 surplus" in out.getvalue()
    assert SurplusFlag.objects.get().found_on == on(isf)


# The console ------------------------------------------------------------------------------------

def test_the_console_lists_open_flags_first(client, flag, finance):
    services.surplus_waive(flag=flag, by=finance, reason="Holiday")
    fund(flag.contract, 1)
    newer = services.surpluses_find(on=on(flag.contract))[0]
    client.force_login(finance)
    html = client.get(reverse("isf_surpluses")).content.decode()
    assert html.index(f"surplus-{newer.pk}") < html.index(f"surplus-{flag.pk}")
    assert flag.contract.provider.name in html and "£1,376.00" in html


def test_a_finance_officer_recovers_in_the_console_and_a_reason_is_needed(client, flag, finance):
    client.force_login(finance)
    url = reverse("isf_surplus", args=[flag.pk])
    response = client.post(url, {"action": "recover", "recover-reason": "", "recover-amount_pence": ""})
    assert response.status_code == 400 and "Enter why the surplus is being recovered" in response.content.decode()
    response = client.post(url, {"action": "recover", "recover-reason": "Above the rule",
                                 "recover-amount_pence": "50.00"})
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.status == SurplusStatus.RECOVERED
    assert ledger.balance(ledger.contract_fund_account(flag.contract)) == ALLOWED + 12000 - 5000


def test_a_contract_officer_only_views_a_surplus(client, flag, council, make_member):
    client.force_login(make_member(Role.CONTRACT_OFFICER, council))
    url = reverse("isf_surplus", args=[flag.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Only a finance officer" in page.content.decode()
    assert client.post(url, {"action": "waive", "waive-reason": "Fine"}).status_code in (302, 403)
    flag.refresh_from_db()
    assert flag.status == SurplusStatus.OPEN


def test_provider_staff_cannot_see_surpluses(client, flag, make_member):
    client.force_login(make_member(Role.PROVIDER_ADMIN, flag.contract.provider))
    assert client.get(reverse("isf_surpluses")).status_code in (302, 403)
    assert client.get(reverse("isf_surplus", args=[flag.pk])).status_code in (302, 403)


def test_the_console_menu_offers_isf_surpluses_to_officers_only(rf, isf, finance, make_member):
    from isf.console_surpluses import menu_items

    item = menu_items[0]()
    assert item.label == "ISF surpluses"
    for user, shown in ((finance, True), (make_member(Role.PROVIDER_ADMIN, isf.provider), False)):
        request = rf.get("/admin/")
        request.user = user
        assert item.is_shown(request) is shown


def test_the_rule_for_many_contracts_matches_the_rule_for_one(isf, accepted):
    other = accepted()
    day = on(isf)
    contracts = IsfContract.objects.filter(pk__in=[isf.pk, other.pk])
    with CaptureQueriesContext(connection) as captured:
        many = services.surplus_allowed_many(contracts, day)
    assert many == {isf.pk: ALLOWED, other.pk: ALLOWED} == {
        contract.pk: services.surplus_allowed_pence(contract, day) for contract in (isf, other)}
    assert len(captured) == 3
    # Before any terms are in force there is no rule yet.
    before = isf.terms.order_by("effective_from").first().effective_from - datetime.timedelta(days=1)
    assert services.surplus_allowed_many(contracts, before) == {isf.pk: None, other.pk: None}
