"""Council insight: the dashboards of the council console [DESIGN §2 "Reporting"].

Every figure is worked out by one function from the records and the ledger, never kept by hand:
``sds`` (self-directed support: NI130, ADASS, ASCOF 3D), ``spending`` (deployment mix, spend
against budgets, ISF balances and surpluses, payments, negotiation savings), ``workload``
(approvals waiting, accreditations and evidence expiring, direct-payment reviews overdue) and
``coverage`` (services and capacity by category and area, and the gaps). Each returns a
:class:`~cms.insight.figures.Figure`: a table (what the accessible table and the CSV file show)
with, where people would rather look than read, a chart drawn from the same rows
(:mod:`cms.insight.charts`, SVG on the server).
"""
