"""scripts/backup.sh and scripts/restore.sh on PostgreSQL: a database with the demo's budgets,
allocations, bookings and an uploaded document is backed up, restored into a new database, and
`flask verify` there is clean with every balance identical."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from marketplace.clock import london_today
from marketplace.extensions import db
from tests.conftest import make_app
from tests.postgres import new_database

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="PostgreSQL: TEST_DATABASE_URL is not set (make test sets it)",
)


def _money_and_bookings(url: str) -> dict[str, object]:
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as conn:
        return {
            "balances": conn.execute(
                "SELECT id, balance_pence FROM ledger_accounts ORDER BY id"
            ).fetchall(),
            "transfers": conn.execute(
                "SELECT count(*), sum(amount_pence) FROM ledger_transfers"
            ).fetchone(),
            "bookings": conn.execute("SELECT id, state FROM bookings ORDER BY id").fetchall(),
            "occurrences": conn.execute("SELECT count(*) FROM occurrences").fetchone(),
        }


def test_a_backup_restores_into_a_new_database_that_verifies_clean(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    from marketplace.demo.services import load_demo
    from marketplace.payments.services import allocate_due

    with new_database("backup") as source, new_database("restore") as target:
        app = make_app(str(tmp_path / "source"), SQLALCHEMY_DATABASE_URI=source)
        with app.app_context():
            upgrade()
            load_demo()
            db.session.commit()
            allocate_due(london_today())
            db.session.commit()
            db.session.execute(text("SELECT 1"))
            db.session.remove()
            db.engine.dispose()
        uploads = tmp_path / "source" / "uploads"
        uploads.mkdir(parents=True, exist_ok=True)
        (uploads / "insurance.pdf").write_bytes(b"%PDF-1.4 demo certificate")
        before = _money_and_bookings(source)
        assert before["transfers"][0] > 0  # type: ignore[index]

        env = {**os.environ, "DATABASE_URL": source, "INSTANCE_PATH": str(tmp_path / "source")}
        made = subprocess.run(
            ["bash", "scripts/backup.sh", str(tmp_path / "backups")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        folder = Path(made.stdout.strip().splitlines()[-1])
        assert (folder / "database.dump").stat().st_size > 0

        subprocess.run(
            ["bash", "scripts/restore.sh", str(folder), target, str(tmp_path / "target")],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        assert _money_and_bookings(target) == before
        restored = tmp_path / "target" / "uploads" / "insurance.pdf"
        assert restored.read_bytes() == b"%PDF-1.4 demo certificate"

        verified = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "wsgi", "verify"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": target, "INSTANCE_PATH": str(tmp_path / "target")},
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stderr
        assert "Verified" in verified.stdout
