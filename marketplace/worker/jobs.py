"""The timed jobs the worker runs: each calls the same service as its `flask` command, commits
its own work and returns one line saying what it did (counts only, never a person's details).
Every one is idempotent: running it twice for the same period does nothing twice."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from marketplace.clock import london_today
from marketplace.transactions import unit_of_work


@dataclass(frozen=True)
class Job:
    name: str
    what: str  # what it does, in words an admin reads on the jobs page
    command: str  # the `flask --app wsgi …` command that does the same, for cron
    run: Callable[[], str]


def _send_mail() -> str:
    from marketplace import mail

    return f"Sent {mail.send_pending(limit=1000)} email(s)."


def _drain_search() -> str:
    from marketplace.search import services

    return f"Sent {services.drain_outbox()} listing change(s) to the search engine."


def _expire_requests() -> str:
    from marketplace.bookings import services

    with unit_of_work():
        done = services.expire_due()
    return f"{len(done)} request(s) expired."


def _expire_meetings() -> str:
    from marketplace.meetings import services

    with unit_of_work():
        done = services.expire_due()
    return f"{len(done)} meeting request(s) lapsed."


def _auto_confirm() -> str:
    from marketplace.bookings import services

    with unit_of_work():
        done = services.auto_confirm()
    return f"{len(done)} delivery(ies) confirmed."


def _extend_rotas() -> str:
    from marketplace.bookings import services

    with unit_of_work():
        done = services.extend_rotas(london_today())
    return f"{len(done)} shift(s) scheduled."


def _allocate() -> str:
    from marketplace.payments import services

    with unit_of_work():
        made = services.allocate_due(london_today())
    return f"Paid {len(made)} allocation(s)."


def _payout_run() -> str:
    from marketplace.payments import payouts

    done = payouts.pay_providers()
    left = f" {len(done.not_sent)} not sent; tried again next time." if done.not_sent else ""
    return done.summary() + left


def _expire_checks() -> str:
    from provider_onboarding.services import suspend_expired_listings

    with unit_of_work():
        acted = suspend_expired_listings(london_today())
    return f"Suspended the listings of {len(acted)} provider(s)."


def _alerts() -> str:
    from marketplace.commissioning.alerts.daily import check_every_body

    return check_every_body().summary()


def _saved_searches() -> str:
    from marketplace.saved_searches.alerts import check_all

    return check_all().summary()


def _forget_forms() -> str:
    from marketplace import sent_forms

    with unit_of_work():
        gone = sent_forms.forget_old()
    return f"Forgot {gone} sent form key(s)."


def _rollup() -> str:
    from marketplace.commissioning.market.rollup import rollup

    with unit_of_work():
        days = rollup(london_today())
    return f"Rolled up {len(days)} day(s) of searches."


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("mail-send", "Send waiting emails", "mail send", _send_mail),
        Job("search-drain", "Send listing changes to search", "search drain", _drain_search),
        Job("bookings-expire", "Expire unanswered requests", "bookings expire", _expire_requests),
        Job(
            "meetings-expire",
            "Close first meetings whose times have all passed",
            "meetings expire",
            _expire_meetings,
        ),
        Job("reports-rollup", "Count yesterday's searches", "reports rollup", _rollup),
        Job(
            "bookings-auto-confirm",
            "Confirm deliveries nobody answered",
            "bookings auto-confirm",
            _auto_confirm,
        ),
        Job("payments-allocate", "Pay budget allocations due", "payments allocate", _allocate),
        Job(
            "payments-payout-run",
            "Gather what providers are owed into payment runs (or Stripe transfers)",
            "payments payout-run",
            _payout_run,
        ),
        Job(
            "bookings-extend-rotas",
            "Plan the next weeks of rotas",
            "bookings extend-rotas",
            _extend_rotas,
        ),
        Job(
            "directory-expire",
            "Suspend providers with expired checks",
            "directory expire",
            _expire_checks,
        ),
        Job("reports-alerts", "Work out commissioners' alerts", "reports alerts", _alerts),
        Job(
            "saved-searches-alert",
            "Email people about new matches for their saved searches",
            "search alert-saved",
            _saved_searches,
        ),
        Job(
            "accounts-forget-forms",
            "Forget once-only form keys a week old",
            "accounts forget-forms",
            _forget_forms,
        ),
    )
}
