"""The whole site under /elsewhere/, for test_shell_tag: the same names, other paths."""

from django.urls import include, path

urlpatterns = [path("elsewhere/", include("ipt.urls"))]
