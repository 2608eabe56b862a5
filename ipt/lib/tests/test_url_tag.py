"""The remembered {% url %} answers what Django's reverse() answers, on every page's templates."""

import uuid

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse, set_script_prefix

from ipt.lib.url_tag import CachedURLNode, _reverse


def render(source: str, **context) -> str:
    return Template(source).render(Context(context))


def test_templates_use_the_remembering_tag():
    assert isinstance(Template("{% url 'home' %}").nodelist[0], CachedURLNode)


def test_each_argument_gets_its_own_url_and_a_repeat_is_remembered():
    first, second = uuid.uuid4(), uuid.uuid4()
    source = "{% url 'thread_detail' pk %}"
    assert render(source, pk=first) == reverse("thread_detail", args=[first])
    hits = _reverse.cache_info().hits
    assert render(source, pk=first) == reverse("thread_detail", args=[first])
    assert _reverse.cache_info().hits == hits + 1
    assert render(source, pk=second) == reverse("thread_detail", args=[second])
    assert render("{% url 'thread_detail' thread_id=pk %}", pk=second) == reverse(
        "thread_detail", kwargs={"thread_id": second}
    )


def test_as_var_unknown_names_and_uncacheable_arguments_behave_as_django():
    assert render("{% url 'nope' as link %}[{{ link }}]") == "[]"
    with pytest.raises(NoReverseMatch):
        render("{% url 'nope' %}")
    # True == 1, but it is no 1 in a URL: such values are not remembered.
    for day in (1, True, 1.0):
        assert render("{% url 'my_diary_day' day %}", day=day) == reverse("my_diary_day", args=[day])


def test_the_script_prefix_and_the_url_configuration_are_part_of_the_key():
    plain = render("{% url 'home' %}")
    set_script_prefix("/clinic/")
    try:
        assert render("{% url 'home' %}") == "/clinic" + plain
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="ipt.lib.tests.urls_elsewhere"):
        assert render("{% url 'home' %}") == "/elsewhere/"
    assert render("{% url 'home' %}") == plain
