"""The whole service under load: scripts/serve.sh (gunicorn and the worker) with the demo data
(plus --listings N generated listings), driven by Debian's `wrk` at 1, 10 and 50 connections for
--seconds each: /healthz (the anchor: the server doing nothing), /search pages (rotating real
queries and places) and a signed-in budget holder's home. Prints requests per second and
p50/p95/p99 latency for each, side by side, and the machine. Never fails on a timing.

    .venv/bin/python bench/serve.py [--listings 0] [--seconds 20] [--connections 1,10,50]
    scripts/with-redis.sh .venv/bin/python bench/serve.py   (2 gunicorn processes, Redis)

Needs /usr/bin/wrk (apt-get install wrk). Everything runs on 127.0.0.1 in a temporary folder.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WRK = Path("/usr/bin/wrk")
USER_AGENT = "care-marketplace-bench"
FLASK = [sys.executable, "-m", "flask", "--app", "wsgi"]

# wrk's Lua: rotate search queries; print one parsable line at the end.
SCRIPT = r"""
local paths = {
  "/search?q=home+care&postcode=OL8+1AA&radius=10",
  "/search?q=demensia&postcode=OL1+1AA",
  "/search?q=physio+therapy",
  "/search?q=personal+assistant&postcode=OL4+1AA&radius=5",
  "/search?q=cleaning",
}
local n = 0
request = function()
  if wrk.path ~= "/search" then return wrk.format(nil, wrk.path) end
  n = n + 1
  return wrk.format(nil, paths[(n % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(env: dict[str, str], listings: int) -> str:
    """Migrate, load the demo (and generated listings); the holder's password."""
    subprocess.run([*FLASK, "db", "upgrade"], env=env, cwd=ROOT, check=True, capture_output=True)
    loaded = subprocess.run(
        [*FLASK, "demo", "load"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    )
    found = re.search(r"^Budget holder\s+(\S+)\s+(\S+)", loaded.stdout, re.MULTILINE)
    if not found:
        sys.exit("bench: demo load printed no budget holder sign-in")
    if listings:
        code = (
            "from wsgi import app\nfrom bench.listings import add_listings\n"
            f"with app.app_context():\n    add_listings({listings})\n"
        )
        subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True)
        subprocess.run(
            [*FLASK, "search", "reindex"], env=env, cwd=ROOT, check=True, capture_output=True
        )
    return f"{found.group(1)} {found.group(2)}"


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("bench: the service did not become ready in 60 s")


def holder_cookie(base: str, email: str, password: str) -> tuple[str, str]:
    """Sign in as the demo holder; the session cookie and the page /dashboard sends them to."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    # Sessions are bound to the browser that signed in: wrk sends the same User-Agent.
    browser.addheaders = [("User-Agent", USER_AGENT)]
    with browser.open(f"{base}/sign-in", timeout=10) as page:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.read().decode())
    assert token
    form = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": password}
    ).encode()
    with browser.open(f"{base}/sign-in", data=form, timeout=10):
        pass
    with browser.open(f"{base}/dashboard", timeout=10) as home:
        path = urllib.parse.urlsplit(home.url).path
        if "Sign out" not in home.read().decode():
            sys.exit(f"bench: signing in as the demo holder failed ({path})")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(
        f"{base}{path}", headers={"Cookie": cookie, "User-Agent": USER_AGENT}
    )
    plain = urllib.request.build_opener(NoRedirect)
    with plain.open(check, timeout=10) as page:
        if page.status != 200:
            sys.exit(f"bench: the holder's cookie alone does not open {path} ({page.status})")
    return cookie, path


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def run_wrk(url: str, connections: int, seconds: int, script: Path, cookie: str | None) -> str:
    command = [
        str(WRK),
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        url,
    ]
    command[1:1] = ["-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx" in out:
        print(f"  (some answers were errors: {out.strip().splitlines()[-3]})")
    found = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", out, re.MULTILINE)
    assert found, out
    requests, micros, p50, p95, p99, errors = (int(x) for x in found.groups())
    rate = requests / (micros / 1e6)
    return f"{rate:10.1f} {p50 / 1000:9.1f} {p95 / 1000:9.1f} {p99 / 1000:9.1f} {errors:7d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", default="1,10,50")
    args = parser.parse_args()
    if not WRK.exists():
        sys.exit("bench: /usr/bin/wrk is missing (apt-get install wrk)")
    levels = [int(c) for c in args.connections.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        env = {**os.environ, "INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
        if os.environ.get("REDIS_URL"):
            env["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]
            env["QUEUE_URL"] = os.environ["REDIS_URL"]
        sign_in = prepare(env, args.listings)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        serve = subprocess.Popen(
            ["bash", "scripts/serve.sh", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_ready(base)
            cookie, home = holder_cookie(base, *sign_in.split())
            script = Path(tmp) / "bench.lua"
            script.write_text(SCRIPT)
            processes = 2 if os.environ.get("REDIS_URL") else 1
            print(
                f"Machine: {platform.processor() or platform.machine()}, "
                f"{os.cpu_count()} cores, Python {platform.python_version()}, "
                f"gunicorn {processes} process(es) x 4 threads + 1 worker, "
                f"listings: demo + {args.listings}, {args.seconds} s each"
            )
            print(
                f"{'page':22} {'conns':>5} {'req/s':>10} {'p50 ms':>9} {'p95 ms':>9} "
                f"{'p99 ms':>9} {'errors':>7}"
            )
            for label, path, with_cookie in (
                ("/healthz (anchor)", "/healthz", False),
                ("/search (5 queries)", "/search", False),
                (f"holder home {home}", home, True),
            ):
                for connections in levels:
                    figures = run_wrk(
                        f"{base}{path}",
                        connections,
                        args.seconds,
                        script,
                        cookie if with_cookie else None,
                    )
                    print(f"{label[:22]:22} {connections:5d} {figures}", flush=True)
        finally:
            os.killpg(serve.pid, 15)
            serve.wait(timeout=60)


if __name__ == "__main__":
    main()
