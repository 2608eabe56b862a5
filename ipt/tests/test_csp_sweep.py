"""S5 sweep: every page carries the security headers, and no page needs what a strict CSP blocks.

Every URL pattern of the project, the JSON API's included (``route_sweep.routes``: the URL
resolver, filled with the records of the patient persona's care team), is opened with GET by the
therapist, the patient, the supervisor, the admin and anonymously: the pages each may use, and the
redirects, 403 and 404 pages the others get. Every response must carry

- a Content-Security-Policy whose script-src (default-src when it has none) allows neither
  ``'unsafe-inline'`` nor ``'unsafe-eval'`` nor any scheme or wildcard source, and which forbids
  plugins (object-src);
- the headers the settings ask Django's SecurityMiddleware and XFrameOptionsMiddleware for:
  X-Frame-Options (framing: the charts' own image policy sets no frame-ancestors),
  X-Content-Type-Options: nosniff, Referrer-Policy (or the stricter no-referrer),
  Cross-Origin-Opener-Policy.

Every HTML body must hold nothing the policy would block (a blocked script is a broken page):
no ``<script>`` without ``src``, no ``on*=`` event-handler attribute, no ``javascript:`` URL, and,
as style-src is ``'self'`` too, no ``<style>`` element and no ``style=`` attribute.
``test_the_checks_catch_what_a_strict_csp_would_block`` shows the checks can fail.
"""

import re
import uuid

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client

from ipt.tests.route_sweep import SIGNED_IN, Clients, iter_html_attributes, real_values, routes
from ipt.tests.test_authorization_probe import world  # noqa: F401  (a fixture)

PERSONAS = ("anonymous", *SIGNED_IN)
UNSAFE_SCRIPT_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'")
JAVASCRIPT_TYPES = {"", "module", "importmap", "text/javascript", "application/javascript"}
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "data")


def _directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed.setdefault(words[0].lower(), words[1:])
    return parsed


def header_problems(response: HttpResponse) -> list[str]:
    problems = []
    policy = response.headers.get("Content-Security-Policy")
    if not policy:
        return ["no Content-Security-Policy", *_other_header_problems(response)]
    directives = _directives(policy)
    scripts = directives.get("script-src", directives.get("default-src"))
    if scripts is None:
        problems.append("the CSP has neither script-src nor default-src")
    else:
        unsafe = [s for s in scripts if s in UNSAFE_SCRIPT_SOURCES or s == "*" or re.fullmatch(r"[a-z]+:", s)]
        if unsafe:
            problems.append(f"script-src allows {' '.join(unsafe)}")
    if directives.get("object-src", directives.get("default-src")) != ["'none'"]:
        problems.append("the CSP does not set object-src 'none'")
    return problems + _other_header_problems(response)


def _other_header_problems(response: HttpResponse) -> list[str]:
    expected = {
        "X-Frame-Options": settings.X_FRAME_OPTIONS,
        "X-Content-Type-Options": "nosniff" if settings.SECURE_CONTENT_TYPE_NOSNIFF else None,
        "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
        "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
    }
    stricter = {"Referrer-Policy": {"no-referrer"}}  # a feed for calendar apps sends no referrer at all
    problems = []
    for name, value in expected.items():
        sent = response.headers.get(name, "").lower()
        if value and sent != value.lower() and sent not in stricter.get(name, set()):
            problems.append(f"{name}: {response.headers.get(name)!r}, expected {value!r}")
    return problems


def html_problems(html: str) -> list[str]:
    problems = []
    for tag, attributes in iter_html_attributes(html):
        is_code = attributes.get("type", "").lower() in JAVASCRIPT_TYPES  # else a data block (JSON)
        if tag == "script" and is_code and not attributes.get("src"):
            problems.append("an inline <script>")
        if tag == "style":
            problems.append("a <style> element")
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...>")
            elif name == "style":
                problems.append(f"<{tag} style=...>")
            elif name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                problems.append(f"<{tag} {name}='javascript:...'>")
    return problems


def _is_html(response: HttpResponse) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/html")


def _body(response: HttpResponse) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_every_response_carries_a_strict_csp_and_the_security_headers(world):  # noqa: F811
    values = real_values(world)
    clients = Clients(world)
    anonymous = Client(raise_request_exception=False)
    every_route = routes(world, values) + routes(world, values, api=True)
    extra = [f"/courses/{uuid.uuid4()}/", "/no-such-page/"]  # the 404 page, signed in and not
    problems: dict[str, set[str]] = {}
    html_pages = set()
    for path in [route.path for route in every_route] + extra:
        for persona in PERSONAS:
            response = (anonymous if persona == "anonymous" else clients[persona]).get(path)
            found = header_problems(response)
            if _is_html(response):
                found += html_problems(_body(response).decode("utf-8", errors="replace"))
                if response.status_code == 200:
                    html_pages.add(path)
            for problem in found:
                problems.setdefault(problem, set()).add(f"{persona} GET {path} ({response.status_code})")
    assert len(html_pages) > 80, "the sweep reached the project's pages"
    report = [
        f"{problem}: {len(where)} response(s), e.g. {sorted(where)[0]}" for problem, where in problems.items()
    ]
    assert not report, "\n".join(report)


@pytest.mark.parametrize(
    ("html", "problem"),
    [
        ("<p>ok</p><script>alert(1)</script>", "an inline <script>"),
        ('<script type="module">go()</script>', "an inline <script>"),
        ('<button onclick="go()">Go</button>', "<button onclick=...>"),
        ('<body onload="go()">', "<body onload=...>"),
        ('<a href=" JavaScript:go()">Go</a>', "<a href='javascript:...'>"),
        ('<p style="color: red">Red</p>', "<p style=...>"),
        ("<style>p { color: red }</style>", "a <style> element"),
    ],
)
def test_the_checks_catch_what_a_strict_csp_would_block(html, problem):
    assert html_problems(html) == [problem]
    fine = '<script src="/static/js/page.js"></script><script type="application/json">{}</script><p>ok</p>'
    assert html_problems(fine) == []


def test_the_header_check_catches_a_weak_or_missing_policy(settings):
    settings.SECURE_CONTENT_TYPE_NOSNIFF = True
    good = HttpResponse(
        headers={
            "Content-Security-Policy": "default-src 'self'; object-src 'none'; frame-ancestors 'none'",
            "X-Frame-Options": settings.X_FRAME_OPTIONS,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": settings.SECURE_REFERRER_POLICY,
            "Cross-Origin-Opener-Policy": settings.SECURE_CROSS_ORIGIN_OPENER_POLICY,
        }
    )
    assert header_problems(good) == []
    weak = HttpResponse(headers=dict(good.headers))
    weak["Content-Security-Policy"] = "default-src 'self'; script-src 'self' 'unsafe-inline' https:"
    assert header_problems(weak) == [
        "script-src allows 'unsafe-inline' https:",
        "the CSP does not set object-src 'none'",
    ]
    bare = HttpResponse()
    assert header_problems(bare)[0] == "no Content-Security-Policy"
    assert len(header_problems(bare)) == 5
