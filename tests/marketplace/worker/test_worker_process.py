"""The worker as its own process (`flask --app wsgi worker run`), on a SQLite queue and on
Debian's Redis (`scripts/with-redis.sh` sets REDIS_URL; `make test` runs it in the PostgreSQL
stage): a listing change and an email committed by the web app are handed off after the commit,
and the worker delivers both: the email to a real SMTP server (aiosmtpd) on 127.0.0.1, the change
to the search index. And gunicorn with two processes counts sign-in limits in Redis together.

It starts a server process and waits for it, so the faketime stage leaves it out (see the
Makefile's FAKETIME_LEAVES_OUT); every other stage runs it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from flask import Flask
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.mail import OutboundEmail, queue_email
from marketplace.search.models import SearchOutbox
from marketplace.worker.queue import hand_off

WAIT_SECONDS = 60
ROOT = Path(__file__).resolve().parents[3]


class Inbox(Message):
    def __init__(self) -> None:
        super().__init__()
        self.received: list[object] = []

    def handle_message(self, message: object) -> None:
        self.received.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(params=["sqlite", "redis"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/queue.sqlite3"
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("Redis: REDIS_URL is not set (make test runs this under scripts/with-redis.sh)")
    return url


def _migrated(instance: Path, **settings: str) -> dict[str, str]:
    """Settings for a server process on a new SQLite database in `instance`, migrated."""
    env = {
        **os.environ,
        "INSTANCE_PATH": str(instance),
        "DATABASE_URL": f"sqlite:///{instance}/served.sqlite3",
        **settings,
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "db", "upgrade"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    return env


def _wait_for(check: object, what: str, worker: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():  # type: ignore[operator]
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped: {worker.stdout.read() if worker.stdout else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"the worker did not {what} within {WAIT_SECONDS} s")
        time.sleep(0.2)


def test_worker_process_delivers_a_committed_email_and_listing_change(
    app_ctx: Flask,
    make_listing,
    smtp_inbox: tuple[Inbox, int],
    queue_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, smtp_port = smtp_inbox
    monkeypatch.setitem(app_ctx.config, "QUEUE_URL", queue_url)
    env = {
        **os.environ,
        "DATABASE_URL": app_ctx.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app_ctx.instance_path,
        "QUEUE_URL": queue_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "SERVER_NAME": "localhost",
        "MARKETPLACE_ENV": "testing",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "run", "--threads", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        listing = make_listing(title="Evening sitting service")
        message = queue_email("someone@example.org", "A new message", "Body", template="test")
        db.session.commit()
        assert db.session.scalar(select(func.count(SearchOutbox.id))) >= 1
        with app_ctx.test_request_context():
            assert hand_off("send_mail", [message.id])
            assert hand_off("drain_search")

        _wait_for(lambda: inbox.received, "send the email", worker)
        assert inbox.received[0]["Subject"] == "A new message"  # type: ignore[index]

        def drained() -> bool:
            db.session.rollback()  # read what the worker committed
            return db.session.scalar(select(func.count(SearchOutbox.id))) == 0

        _wait_for(drained, "send the listing change to search", worker)
        db.session.rollback()
        assert db.session.get(OutboundEmail, message.id).sent_at is not None
        assert listing.id is not None
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.communicate()


def test_worker_process_and_web_server_start_and_stop_together(tmp_path: Path) -> None:
    """scripts/serve.sh (what `make run` ends with): gunicorn and the worker on 127.0.0.1;
    /readyz answers ready with the queue; SIGTERM stops both."""
    import urllib.request

    port = _free_port()
    instance = tmp_path / "instance"
    env = _migrated(instance, QUEUE_URL=f"sqlite:///{instance}/queue.sqlite3")
    serve = subprocess.Popen(
        ["bash", "scripts/serve.sh", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:

        def ready() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    return bool(r.status == 200 and b'"queue":"ok"' in r.read())
            except OSError:
                return False

        _wait_for(ready, "serve /readyz", serve)
        workers = subprocess.run(
            ["pgrep", "-s", str(serve.pid), "-f", "worker run"], capture_output=True, text=True
        )
        assert workers.stdout.strip(), "the background worker is not running"
        serve.send_signal(signal.SIGTERM)
        serve.communicate(timeout=30)
        left = subprocess.run(["pgrep", "-s", str(serve.pid)], capture_output=True, text=True)
        assert left.stdout.strip() == "", "a process outlived the others"
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
            serve.communicate()


def test_worker_process_sign_in_limits_hold_across_two_gunicorn_processes(
    tmp_path: Path,
) -> None:
    """Ten sign-in attempts a minute from one address, counted in Redis by both processes."""
    import urllib.error
    import urllib.request

    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        pytest.skip("Redis: REDIS_URL is not set (make test runs this under scripts/with-redis.sh)")
    port = _free_port()
    env = _migrated(tmp_path / "instance", RATELIMIT_STORAGE_URI=redis_url)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    web = subprocess.Popen(
        [
            str(gunicorn),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--no-control-socket",
            "wsgi:app",
        ],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:

        def up() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    return True
            except OSError:
                return False

        _wait_for(up, "serve", web)
        import http.cookiejar
        import re

        browser = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        with browser.open(f"http://127.0.0.1:{port}/sign-in", timeout=10) as page:
            token = re.search(
                r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode()
            )
        assert token, "no CSRF token on the sign-in page"
        form = f"csrf_token={token.group(1)}&email=a%40example.org&password=wrong".encode()
        statuses = []
        for _ in range(12):
            attempt = urllib.request.Request(
                f"http://127.0.0.1:{port}/sign-in", data=form, method="POST"
            )
            try:
                with browser.open(attempt, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as refused:
                statuses.append(refused.code)
        assert 429 not in statuses[:10], statuses
        assert statuses[10:] == [429, 429], statuses
    finally:
        web.terminate()
        try:
            web.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            web.kill()
            web.communicate()
