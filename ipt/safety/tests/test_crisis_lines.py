import pytest

from ipt.safety.crisis import crisis_lines_for, crisis_panel_context
from ipt.safety.models import CrisisLine, CrisisLineKind

pytestmark = pytest.mark.django_db

EU = ["DE", "FR", "ES", "IT", "NL", "BE", "AT", "PT", "SE", "DK", "FI", "PL", "IE"]


def _phones(lines):
    return [line.phone for line in lines]


def test_the_us_gets_988_then_911_then_the_fallback():
    lines = crisis_lines_for("US")
    assert _phones(lines)[:2] == ["988", "911"]
    assert lines[0].text == "988"
    assert lines[-1].kind == CrisisLineKind.FALLBACK


def test_the_uk_and_ireland_get_samaritans_first():
    assert _phones(crisis_lines_for("GB"))[:2] == ["116 123", "999"]
    assert _phones(crisis_lines_for("ie"))[:2] == ["116 123", "112"]


@pytest.mark.parametrize("country", EU)
def test_every_eu_country_gets_112(country):
    assert "112" in _phones(crisis_lines_for(country))


def test_canada_and_australia_have_their_lines():
    assert _phones(crisis_lines_for("CA"))[0] == "988"
    assert _phones(crisis_lines_for("AU"))[0] == "13 11 14"


def test_an_unknown_country_gets_only_the_fallback():
    lines = crisis_lines_for("ZZ")
    assert [line.kind for line in lines] == [CrisisLineKind.FALLBACK]
    assert lines[0].name == "Your local emergency number"


def test_a_regional_line_comes_before_the_national_one():
    CrisisLine.objects.create(country="US", region="Oregon", name="Oregon line", phone="555 0100", priority=1)
    CrisisLine.objects.create(country="US", region="Texas", name="Texas line", phone="555 0199", priority=1)
    names = [line.name for line in crisis_lines_for("US", "Oregon")]
    assert names[:2] == ["Oregon line", "988 Suicide & Crisis Lifeline"]
    assert "Texas line" not in names


def test_the_crisis_page_shows_the_chosen_countrys_lines(client):
    body = client.get("/crisis/", {"country": "gb"}).content.decode()
    assert "116 123" in body and "Crisis lines in United Kingdom" in body
    assert "988 Suicide" not in body


def test_the_crisis_page_ignores_a_country_not_in_the_table(client):
    response = client.get("/crisis/", {"country": "<script>", "region": "x" * 500})
    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>" not in body
    assert "988" in body and "116 123" in body  # the common lines


def test_the_crisis_page_uses_the_country_on_a_patients_safety_plan(client_for, course, personas):
    from ipt.safety.actions import save_safety_plan

    save_safety_plan(actor=personas.patient, course=course, country="AU", warning_signs="Not sleeping")
    body = client_for("patient").get("/crisis/").content.decode()
    assert "13 11 14" in body and "Crisis lines in Australia" in body


@pytest.mark.parametrize(("country", "line", "emergency"), [("US", "988", "911"), ("GB", "116 123", "999")])
def test_the_crisis_panel_shows_the_right_line(rf, personas, country, line, emergency):
    from django.template.loader import render_to_string

    request = rf.get("/")
    request.user = personas.patient
    html = render_to_string(
        "safety/_crisis_panel.html", crisis_panel_context(personas.patient, country), request
    )
    assert f'call <a href="tel:{line.replace(" ", "")}" class="crisis-phone">{line}</a>' in html
    assert f"If you are in danger now, call\n    {emergency}" in html
    assert "Your therapist has been told and will contact you" in html
    assert "not watched around the clock" in html


def test_the_crisis_panel_without_a_country_shows_the_common_lines(personas):
    from django.template.loader import render_to_string

    html = render_to_string("safety/_crisis_panel.html", crisis_panel_context(personas.patient))
    assert "988" in html and "116 123" in html and "your local emergency number" in html


def test_an_admin_adds_a_crisis_line_and_others_cannot(client_for):
    data = {
        "kind": "crisis",
        "country": "nz",
        "name": "Need to talk?",
        "phone": "1737",
        "text": "1737",
        "priority": 10,
    }
    for persona in ("therapist", "supervisor", "patient"):
        assert client_for(persona).post("/crisis-lines/", data).status_code == 403
    assert not CrisisLine.objects.filter(country="NZ").exists()
    response = client_for("admin").post("/crisis-lines/", data)
    assert response.status_code == 302
    assert CrisisLine.objects.get(country="NZ").phone == "1737"
    assert _phones(crisis_lines_for("NZ"))[0] == "1737"


def test_a_crisis_line_needs_a_two_letter_country_and_a_number(client_for):
    response = client_for("admin").post(
        "/crisis-lines/", {"kind": "crisis", "country": "USA", "name": "X", "priority": 1}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "two-letter country code" in body
    assert not CrisisLine.objects.filter(name="X").exists()


def test_an_admin_edits_and_removes_a_line(client_for):
    client = client_for("admin")
    line = CrisisLine.objects.get(country="GB", kind=CrisisLineKind.CRISIS)
    data = {"kind": "crisis", "country": "GB", "name": "Samaritans UK", "phone": "116 123", "priority": 5}
    assert client.post(f"/crisis-lines/{line.pk}/", data).status_code == 302
    line.refresh_from_db()
    assert line.name == "Samaritans UK"
    assert client.post(f"/crisis-lines/{line.pk}/", {"intent": "delete"}).status_code == 302
    assert not CrisisLine.objects.filter(pk=line.pk).exists()


def test_an_empty_table_still_shows_the_built_in_fallback():
    CrisisLine.objects.all().delete()
    lines = crisis_lines_for("US")
    assert [line.name for line in lines] == ["Your local emergency number"]
