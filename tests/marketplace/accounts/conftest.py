"""Clients that behave like separate browsers even though the test holds an app context open.

A request reuses an app context the test has pushed (the `app_ctx` fixture), and with it `g`, where
Flask-Login caches the signed-in user. Without clearing it, a second client would look signed in
as whoever the first client signed in as.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask, g, has_app_context
from flask.testing import FlaskClient


class SeparateBrowserClient(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            g.pop("_login_user", None)
        return super().open(*args, **kwargs)


def new_client(app: Flask) -> FlaskClient:
    return SeparateBrowserClient(app, app.response_class, use_cookies=True)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return new_client(app)


@pytest.fixture()
def another_client(app: Flask) -> Callable[[], FlaskClient]:
    return lambda: new_client(app)
