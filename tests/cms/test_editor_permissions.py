import pytest

from cms.models import AdvicePage
from marketplace.constants import Role
from tests.cms.test_pages import add_advice_page

pytestmark = pytest.mark.django_db


def test_content_editors_can_edit_and_publish_advice(client, council, make_member):
    page = add_advice_page()
    editor = make_member(Role.CONTENT_EDITOR, council)
    client.force_login(editor)
    assert client.get(f"/admin/pages/{page.pk}/edit/").status_code == 200
    from wagtail.documents import get_document_model
    from wagtail.images import get_image_model
    from wagtail.permissions import policy_registry

    for model in (get_image_model(), get_document_model()):
        assert policy_registry.get_by_type(model).user_has_permission(editor, "add")
    perms = page.permissions_for_user(editor)
    assert perms.can_edit() and perms.can_publish()


def test_contract_officers_reach_the_console_but_cannot_edit_pages(client, council, make_member):
    page = add_advice_page()
    officer = make_member(Role.CONTRACT_OFFICER, council)
    client.force_login(officer)
    assert client.get("/admin/").status_code == 200
    assert not page.permissions_for_user(officer).can_edit()
    response = client.get(f"/admin/pages/{page.pk}/edit/")
    assert response.status_code in {302, 403}
    assert AdvicePage.objects.get(pk=page.pk).title == "What is a personal budget"
