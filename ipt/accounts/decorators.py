from functools import wraps

from django.core.exceptions import PermissionDenied


def role_required(*roles):
    """Only these roles may use the view; login itself is enforced by LoginRequiredMiddleware."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied("This page is not available to your role.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator
