"""Password reset by email, with the same answer whether or not the account exists."""

import re

import pytest
from django.test import Client

from ipt.conftest import PASSWORD

# Emails go out on commit, so these tests run in real transactions.
pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "another-long-passphrase-31"


def _without_tokens(content: bytes) -> bytes:
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)
    return re.sub(rb'"X-CSRFToken": "[^"]+"', b"", content)


def test_a_reset_link_is_emailed_and_sets_a_new_password(personas, mailbox):
    response = Client().post("/password-reset/", {"email": "patient@example.test"})
    assert response.status_code == 302 and response.url == "/password-reset/sent/"
    [message] = mailbox.to("patient@example.test")
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mailbox.body(message)).group(0)
    path = "/" + link.split("/", 3)[3]

    client = Client()
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    personas.patient.refresh_from_db()
    assert personas.patient.check_password(NEW_PASSWORD)
    assert not personas.patient.check_password(PASSWORD)
    assert Client().get(path, follow=True).context["validlink"] is False


def test_reset_answers_the_same_for_unknown_and_known_addresses(personas, mailbox):
    known = Client().post("/password-reset/", {"email": "patient@example.test"}, follow=True)
    unknown = Client().post("/password-reset/", {"email": "nobody@example.test"}, follow=True)
    assert known.redirect_chain == unknown.redirect_chain
    assert _without_tokens(known.content) == _without_tokens(unknown.content)
    assert len(mailbox.messages) == 1 and mailbox.to("patient@example.test")


def test_a_reset_refuses_a_weak_new_password(personas, mailbox):
    Client().post("/password-reset/", {"email": "patient@example.test"})
    link = re.search(r"https?://\S+/password-reset/\S+/\S+/", mailbox.body(mailbox.messages[0])).group(0)
    client = Client()
    page = client.get("/" + link.split("/", 3)[3], follow=True)
    response = client.post(page.redirect_chain[-1][0], {"new_password1": "qwerty", "new_password2": "qwerty"})
    assert response.status_code == 200
    assert "at least 12 characters" in response.content.decode()
    personas.patient.refresh_from_db()
    assert personas.patient.check_password(PASSWORD)
