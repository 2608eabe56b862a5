"""Small helpers shared by the apps' views."""

from django.http import HttpRequest, QueryDict


def posted(request: HttpRequest) -> QueryDict | None:
    """The data to bind a form to: the POST on a POST (even an empty one, so its errors show;
    ``request.POST or None`` would show a blank form instead), None on a GET."""
    return request.POST if request.method == "POST" else None
