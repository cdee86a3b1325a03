"""Provider portal pages for ISFs, under /portal/<org_id>/: contracts, invoices, statements,
remittances and bank details."""

from isf import portal_invoices, portal_statements, views

app_name = "isf"
urlpatterns = views.urlpatterns + portal_invoices.urlpatterns + portal_statements.urlpatterns
