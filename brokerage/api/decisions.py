"""The council's decisions on a support plan through the API: approve, return, reject."""


class PlanDecisionActions:
    """Mixed into the support-plan viewset: POST actions for a contract officer's decision."""
