"""``{% url %}`` with its answers remembered (a template builtin: settings.TEMPLATES).

Django's ``reverse()`` walks the URL patterns on every call, and a page draws the same links each
time: the top bar's dozen, one per row of a list. That was 7-9% of the chart's and the inbox's CPU
(issue 7). A URL depends only on the view name, the arguments, the current app, the URL
configuration and the script prefix, and all of them are the key.
"""

from functools import lru_cache
from uuid import UUID

from django.conf import settings
from django.template import Library
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()


def _is_key(value) -> bool:
    """Values whose text is their identity (bool is left out: True == 1 but reverses to "True")."""
    return isinstance(value, (str, UUID)) or type(value) is int


@lru_cache(maxsize=8192)
def _reverse(view_name, args: tuple, kwargs: tuple, current_app, urlconf, root_urlconf, prefix) -> str:
    return reverse(view_name, args=args, kwargs=dict(kwargs), current_app=current_app)


def cached_reverse(view_name, args: list, kwargs: dict, current_app) -> str:
    values = [view_name, *args, *kwargs.values()]
    if not all(_is_key(value) for value in values):
        return reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
    return _reverse(
        view_name,
        tuple(args),
        tuple(sorted(kwargs.items())),
        current_app,
        get_urlconf(),
        settings.ROOT_URLCONF,
        get_script_prefix(),
    )


class CachedURLNode(URLNode):
    """Django's URLNode.render with ``cached_reverse`` in place of ``reverse``."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return CachedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
