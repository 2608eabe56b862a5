"""``{% shell %}``: parts of pages that depend on a few values only (who is looking, which course),
rendered once per set of values and then copied (a template builtin: settings.TEMPLATES).

The top bar (a dozen links, the role's menu, the alert badge) and the head's static files cost a
page about 2,500 Python calls, as much as the rest of the cached caseload page; a course page's
section menu, nineteen links, another 1,400 (issue 7, P2/P3). What a fragment shows depends only on
the values passed to the tag, the URL configuration and the script prefix, which together are the
key (not with DEBUG on: templates edited under `make run` show at once). The CSRF token differs on
every page: the fragment is rendered with a mark in its place and the page's own token is put in
for the mark.
"""

from functools import lru_cache

from django.conf import settings
from django.template import Library
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe

register = Library()

CSRF_MARK = "\x00csrf-token\x00"


def _render(name: str, values: tuple) -> str:
    return get_template(name).render({**dict(values), "csrf_token": CSRF_MARK})


@lru_cache(maxsize=1024)
def _remembered(name: str, values: tuple, urlconf, root_urlconf: str, prefix: str) -> str:
    return _render(name, values)


@register.simple_tag(takes_context=True)
def shell(context, name: str, **values) -> SafeString:
    """``name`` rendered with ``values`` alone (strings, numbers, ids, booleans; never a queryset)."""
    key = tuple(sorted(values.items()))
    if settings.DEBUG:  # a template edited while `make run` runs shows on the next page
        html = _render(name, key)
    else:
        html = _remembered(name, key, get_urlconf(), settings.ROOT_URLCONF, get_script_prefix())
    token = context.get("csrf_token") or ""
    # Rendered by our own autoescaping template; the token is Django's (letters and digits).
    return mark_safe(html.replace(CSRF_MARK, str(token)))  # noqa: S308
