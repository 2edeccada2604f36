"""Who may reach a page. Views declare the roles; services check the object itself."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from marketplace.accounts.models import Role, User
from marketplace.errors import NotFound

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def commissions(user: User, tenant_id: int | None) -> bool:
    """Whether `user` is commissioner staff of the council or ICB with this id."""
    return user.role == Role.COMMISSIONER and tenant_id is not None and user.tenant_id == tenant_id


def in_own_tenant(commissioner: User, found: T | None, tenant_of: Callable[[T], int | None]) -> T:
    """`found`, if it exists and `commissioner` is staff of its council or ICB. Raises NotFound
    otherwise, so nobody can tell another body's objects from ones that do not exist."""
    if found is None or not commissions(commissioner, tenant_of(found)):
        raise NotFound("There is nothing with this reference")
    return found


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in people in one of `roles` get through; others signed in get a 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
