"""Ledger throughput: hold → settle transfers per second with 1, 4 and 8 worker processes, each
transfer committed in its own transaction, beside pgbench's TPC-B-like figure on the same server.

    .venv/bin/python bench/ledger.py [--transfers N] [--workers 1,4,8] [--database-url URL]
    scripts/with-postgres.sh sh -c \
        '.venv/bin/python bench/ledger.py --database-url "$TEST_DATABASE_URL"'

Builds a fresh database from the migrations (a temporary SQLite file unless a URL is given). Each
worker owns its own pots and provider, as separate bookings do, and alternates a hold (available
→ held) with a settlement (held → provider payable) through marketplace.payments.ledger. On
PostgreSQL, pgbench (from /usr/lib/postgresql/15/bin) then runs its TPC-B-like script with as
many clients as workers, on the same server, for comparison. Finally the ledger is verified.
Prints figures; never fails on a timing.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.payments import ledger
from marketplace.payments.models import AccountKind

PGBENCH = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")) / "pgbench"
POTS_PER_WORKER = 10


def app_for(url: str, tmp: str):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_PATH": tmp})


def worker(
    args: tuple[str, str, int, int, str, multiprocessing.synchronize.Barrier],
) -> list[float]:
    """Alternate hold and settle transfers; returns each transfer's latency in ms."""
    url, tmp, number, transfers, tag, barrier = args
    app = app_for(url, tmp)
    with app.app_context():
        funding = ledger.account(AccountKind.FUNDING, "tenant", 1, may_go_negative=True)
        base = number * POTS_PER_WORKER + 1_000 * len(tag)
        pots = [
            ledger.account(AccountKind.AVAILABLE, "pot", base + n) for n in range(POTS_PER_WORKER)
        ]
        held = [ledger.account(AccountKind.HELD, "pot", base + n) for n in range(POTS_PER_WORKER)]
        payable = ledger.account(AccountKind.PAYABLE, "provider", base)
        for n, pot in enumerate(pots):
            ledger.transfer(
                funding,
                pot,
                10**9,
                code="allocation",
                reference="bench",
                idempotency_key=f"bench:{tag}:{number}:fund:{n}",
            )
        db.session.commit()
        latencies = []
        barrier.wait(timeout=300)
        for n in range(transfers):
            t0 = time.perf_counter()
            pot = (n // 2) % POTS_PER_WORKER
            if n % 2 == 0:
                debit, credit, code = pots[pot], held[pot], "hold"
            else:
                debit, credit, code = held[pot], payable, "settlement"
            ledger.transfer(
                debit,
                credit,
                2_500,
                code=code,
                reference="bench",
                idempotency_key=f"bench:{tag}:{number}:{n}",
            )
            db.session.commit()
            latencies.append((time.perf_counter() - t0) * 1000)
        db.session.remove()
        db.engine.dispose()
    return latencies


def run(url: str, tmp: str, workers: int, transfers: int) -> tuple[float, list[float]]:
    context = multiprocessing.get_context("spawn")
    with multiprocessing.Manager() as manager:
        barrier = manager.Barrier(workers + 1)
        tag = f"w{workers}"
        jobs = [(url, tmp, n, transfers // workers, tag, barrier) for n in range(workers)]
        with context.Pool(workers) as pool:
            pending = pool.map_async(worker, jobs)
            barrier.wait(timeout=300)  # every worker has its accounts; start the clock together
            started = time.perf_counter()
            results = pending.get()
            elapsed = time.perf_counter() - started
    latencies = sorted(x for result in results for x in result)
    return len(latencies) / elapsed, latencies


def pgbench_tps(url: str, clients: int, seconds: int) -> float | None:
    """pgbench's TPC-B-like tps on the same server (its own tables), or None without pgbench."""
    if not url.startswith("postgresql") or not shutil.which(str(PGBENCH)):
        return None
    libpq = re.sub(r"^postgresql\+\w+://", "postgresql://", url)
    subprocess.run([str(PGBENCH), "-i", "-q", "-s", "1", libpq], check=True, capture_output=True)
    done = subprocess.run(
        [str(PGBENCH), "-c", str(clients), "-j", str(clients), "-T", str(seconds), libpq],
        check=True,
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    return float(match.group(1)) if match else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transfers", type=int, default=4000, help="per run, across workers")
    parser.add_argument("--workers", default="1,4,8")
    parser.add_argument("--pgbench-seconds", type=int, default=10)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="ledger-bench-")
    url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
    app = app_for(url, tmp)
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {python}")
    print(f"database: {url.split(':', 1)[0]}")
    print(
        f"{'workers':>7} {'transfers/s':>12} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} "
        f"{'pgbench tps':>12} {'ratio':>6}"
    )
    for workers in (int(w) for w in args.workers.split(",")):
        rate, lat = run(url, tmp, workers, args.transfers)
        tps = pgbench_tps(url, workers, args.pgbench_seconds)
        ratio = f"{rate / tps:.2f}" if tps else "-"
        print(
            f"{workers:>7} {rate:>12.0f} {statistics.median(lat):>7.2f} "
            f"{lat[int(len(lat) * 0.95)]:>7.2f} {lat[int(len(lat) * 0.99)]:>7.2f} "
            f"{(f'{tps:.0f}' if tps else '-'):>12} {ratio:>6}"
        )
    with app.app_context():
        t0 = time.perf_counter()
        problems = ledger.verify()
        total = ledger.total_of_balances()
        verify_ms = (time.perf_counter() - t0) * 1000
        transfers = db.session.execute(db.text("SELECT count(*) FROM ledger_transfers")).scalar()
    print(
        f"verify: {transfers} transfers in {verify_ms:.1f} ms, discrepancies: {len(problems)}, "
        f"sum of balances: {total}"
    )


if __name__ == "__main__":
    main()
