"""Ledger throughput: how many transfers a second one process commits, each in its own transaction.

    .venv/bin/python bench/ledger.py [--transfers N] [--database-url URL]

Builds a fresh database from the migrations (a temporary SQLite file unless a URL is given),
then times allocations and holds made one per transaction through marketplace.payments.ledger,
and finally verifies the ledger. Prints figures; never fails on a timing.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import AccountKind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=2000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    url = args.database_url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": str(tmp)})
    with app.app_context():
        upgrade()
        funding = ledger.account(AccountKind.FUNDING, "tenant", 1, may_go_negative=True)
        pots = [ledger.account(AccountKind.AVAILABLE, "pot", n) for n in range(50)]
        held = [ledger.account(AccountKind.HELD, "pot", n) for n in range(50)]
        db.session.commit()
        latencies = []
        started = time.perf_counter()
        for n in range(args.transfers):
            t0 = time.perf_counter()
            pot = (n // 2) % 50
            if n % 2 == 0:
                ledger.transfer(
                    funding,
                    pots[pot],
                    10_000,
                    code="allocation",
                    reference="bench",
                    idempotency_key=f"bench:alloc:{n}",
                )
            else:
                ledger.transfer(
                    pots[pot],
                    held[pot],
                    2_500,
                    code="hold",
                    reference="bench",
                    idempotency_key=f"bench:hold:{n}",
                )
            db.session.commit()
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
        t0 = time.perf_counter()
        problems = ledger.verify()
        verify_ms = (time.perf_counter() - t0) * 1000
    latencies.sort()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {python}")
    print(f"database: {url.split(':', 1)[0]}")
    rate = args.transfers / elapsed
    print(f"transfers: {args.transfers} in {elapsed:.2f} s = {rate:.0f} per second")
    print(
        f"per transfer (ms): p50 {statistics.median(latencies):.2f}, "
        f"p95 {latencies[int(len(latencies) * 0.95)]:.2f}, "
        f"p99 {latencies[int(len(latencies) * 0.99)]:.2f}"
    )
    print(f"verify: {verify_ms:.1f} ms, discrepancies: {len(problems)}")


if __name__ == "__main__":
    main()
