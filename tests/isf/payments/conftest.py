import pytest

from isf.constants import RunTrigger
from isf.services import payment_run_execute, payment_run_start
from tests.isf.payments.factories import START


@pytest.fixture
def run_payments():
    """``run_payments(run_on=START, **execute kwargs)``: start a run (as the management command
    would) and execute it; returns the finished run."""

    def run(run_on=START, gateway=None, **kwargs):
        started = payment_run_start(by=None, trigger=RunTrigger.COMMAND, run_on=run_on, gateway=gateway)
        return payment_run_execute(run=started, **kwargs)

    return run
