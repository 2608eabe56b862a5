"""The score chart: valid SVG with severity bands, the caseness line and session markers, no script,
served as an image with its own CSP; and the bands come from the instrument's own scorer."""

from datetime import date, timedelta
from xml.etree import ElementTree

from ipt.measures import charts
from ipt.measures.models import Schedule
from ipt.measures.tests.test_administrations import PHQ9_MODERATE, assign, complete, hold_session, new_course

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(svg)


def texts(root) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


def test_the_phq9_bands_are_read_from_the_instrument_scorer(db):
    assert [(band.label, band.low, band.high) for band in charts.bands_for("phq9")] == [
        ("minimal", 0, 4),
        ("mild", 5, 9),
        ("moderate", 10, 14),
        ("moderately severe", 15, 19),
        ("severe", 20, 27),
    ]
    assert [(band.low, band.high) for band in charts.bands_for("gad7")] == [
        (0, 4),
        (5, 9),
        (10, 14),
        (15, 21),
    ]


def test_an_instrument_whose_severity_is_not_a_function_of_the_total_gets_no_bands(db):
    assert charts.bands_for("audit") == ()  # the zone bump depends on single items


def test_the_chart_is_valid_svg_with_bands_caseness_sessions_and_no_script(db):
    start = date(2026, 9, 1)
    points = [
        charts.Point(start + timedelta(weeks=week), total) for week, total in enumerate([18, 15, 12, 9, 6])
    ]
    sessions = [charts.Session(number, start + timedelta(weeks=number - 1, days=2)) for number in range(1, 6)]
    root = parse(charts.render("phq9", points, sessions))
    assert root.tag == f"{SVG}svg"
    assert not list(root.iter(f"{SVG}script"))
    labels = texts(root)
    for band in (
        "minimal (0–4)",
        "mild (5–9)",
        "moderate (10–14)",
        "moderately severe (15–19)",
        "severe (20–27)",
    ):
        assert band in labels
    assert "Caseness (10)" in labels
    assert "Sessions" in labels
    assert "S1 3 Sep" in labels and "S5 1 Oct" in labels
    for total in ("18", "15", "12", "9", "6"):
        assert total in labels
    # Five filled band areas.
    filled = [node for node in root.iter(f"{SVG}path") if node.get("class") == "line reactive"]
    assert len(filled) == 5


def test_a_chart_without_answers_says_so(db):
    root = parse(charts.render("gad7", []))
    assert "No answers yet" in texts(root)


def test_long_series_render_quickly_with_few_date_labels(db):
    start = date(2026, 1, 1)
    points = [charts.Point(start + timedelta(days=3 * index), index % 27) for index in range(60)]
    sessions = [charts.Session(number, start + timedelta(days=7 * number)) for number in range(1, 30)]
    root = parse(charts.render("phq9", points, sessions))
    assert len([label for label in texts(root) if label.startswith("S")]) <= charts.MAX_DATE_LABELS + 2


def test_the_chart_is_served_as_an_image_with_its_own_csp(personas, client_for):
    course = new_course(personas)
    hold_session(course, personas, 1)
    complete(assign(course, schedule=Schedule.ONCE), PHQ9_MODERATE)
    for name in ("therapist", "patient", "supervisor"):
        response = client_for(name).get(f"/courses/{course.pk}/measures/phq9.svg")
        assert response.status_code == 200
        assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
        assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
        root = parse(response.content)
        assert "10" in texts(root)
        assert any(label.startswith("S1 ") for label in texts(root))
    assert client_for("therapist").get(f"/courses/{course.pk}/measures/nonsense.svg").status_code == 404
