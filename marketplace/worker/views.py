"""The admins' page of background jobs: the schedule, what failed and why, what ran lately.
It shows job names, periods, counts and kinds of error: never a person's details."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from sqlalchemy import case, select

from marketplace.accounts.access import roles_required
from marketplace.accounts.models import Role
from marketplace.extensions import db
from marketplace.web import page_number
from marketplace.worker.jobs import JOBS
from marketplace.worker.models import JobRun, RunState

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")


@bp.get("/")
@roles_required(Role.ADMIN)
def index() -> str:
    failing = case((JobRun.state.in_([RunState.FAILED, RunState.RETRYING]), 0), else_=1)
    page = db.paginate(
        select(JobRun).order_by(failing, JobRun.queued_at.desc(), JobRun.id.desc()),
        page=page_number(),
        per_page=50,
        error_out=False,
    )
    failed = db.session.scalar(
        select(db.func.count(JobRun.id)).where(JobRun.state == RunState.FAILED)
    )
    return render_template(
        "admin/jobs.html",
        page=page,
        failed=failed,
        jobs=JOBS,
        schedule=current_app.config["WORKER_SCHEDULE"],
        queue_configured=bool(current_app.config.get("QUEUE_URL")),
    )
