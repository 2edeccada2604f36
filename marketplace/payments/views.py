"""Budget pages, statements, commissioner funding, card top-ups, payouts and Stripe webhooks.

Each view parses input, checks who may do it, calls one service, commits once, then renders or
redirects.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from marketplace import audit
from marketplace.accounts import services as accounts
from marketplace.accounts.access import in_own_tenant, roles_required
from marketplace.accounts.models import Role, User
from marketplace.bookings.services.sessions import named_sessions
from marketplace.clock import london_now, london_today
from marketplace.directory.models import Category
from marketplace.errors import DomainError
from marketplace.extensions import csrf, db
from marketplace.forms import BaseForm
from marketplace.money import format_pence
from marketplace.payments import payouts, services, statements, stripe_gateway, topups, webhooks
from marketplace.payments.forms import FundPotForm, PotForm, TopUpForm
from marketplace.payments.models import Payout, PayoutRun, PayoutStatus, Pot, PotKind, TopUp
from marketplace.sent_forms import once_per_form

bp = Blueprint("payments", __name__, url_prefix="/payments")

PEOPLE = (Role.HOLDER, Role.REPRESENTATIVE, Role.COMMISSIONER)


@bp.app_template_filter("signed_pounds")
def signed_pounds(pence: int) -> str:
    """'+£84.00', '−£84.00' or empty for no change: for statement columns."""
    if pence == 0:
        return ""
    return ("+" if pence > 0 else "−") + format_pence(abs(pence))


def _holder_for_viewer(holder_id: int) -> User:
    holder = db.session.get(User, holder_id)
    if holder is None or holder.role != Role.HOLDER:
        abort(404)
    if not statements.may_see_holder(current_user, holder):
        abort(404)
    return holder


def _pot_for_viewer(pot_id: int) -> Pot:
    return statements.pot_for_viewer(current_user, pot_id)


def _pot_for_commissioner(pot_id: int) -> Pot:
    return in_own_tenant(current_user, db.session.get(Pot, pot_id), lambda p: p.tenant_id)


@bp.get("/")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def budgets_home() -> str | BaseResponse:
    """A holder goes straight to their budgets; a representative chooses whose."""
    if current_user.role == Role.HOLDER:
        return redirect(url_for("payments.holder_budgets", holder_id=current_user.id))
    return render_template(
        "payments/choose_holder.html", holders=accounts.holders_represented_by(current_user)
    )


@bp.get("/holders/<int:holder_id>")
@roles_required(*PEOPLE)
def holder_budgets(holder_id: int) -> str:
    holder = _holder_for_viewer(holder_id)
    pots = [(pot, services.balance(pot)) for pot in statements.pots_of(holder)]
    return render_template("payments/holder_budgets.html", holder=holder, pots=pots)


@bp.get("/pots/<int:pot_id>")
@roles_required(*PEOPLE)
def pot_statement(pot_id: int) -> str:
    pot = _pot_for_viewer(pot_id)
    return render_template(
        "payments/pot_statement.html",
        pot=pot,
        balance=services.balance(pot),
        lines=statements.pot_statement(pot),
        top_ups=statements.top_ups_of(pot),
    )


@bp.get("/pots/<int:pot_id>/statement.csv")
@roles_required(*PEOPLE)
def pot_statement_csv(pot_id: int) -> Response:
    pot = _pot_for_viewer(pot_id)
    body = statements.statement_csv(statements.pot_statement(pot))
    name = f"budget-{pot.id}-statement.csv"
    return _csv(body, name)


def _csv(body: str, name: str) -> Response:
    """CSV text, shown in the browser when opened and saved under `name` by the page's download
    link. (An attachment would stop browsers, and the accessibility tour, from opening it.)"""
    return Response(
        body,
        mimetype="text/plain",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


# Commissioners: setting up and funding pots, refused spends.


def _pot_form() -> PotForm:
    form = PotForm()
    categories = db.session.scalars(
        select(Category).order_by(Category.position, Category.name, Category.id)
    )
    form.categories.choices = [SelectChoice(c.id, c.name) for c in categories]
    return form


def _required() -> date:
    raise DomainError("Enter the first payment date as a real date", field="starts_on")


@bp.route("/holders/<int:holder_id>/pots/new", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
@once_per_form
def new_pot(holder_id: int) -> tuple[str, int] | BaseResponse:
    holder = accounts.holder_for_commissioner(current_user, holder_id)
    form = _pot_form()
    if done := form.carry_out(
        lambda: services.create_pot(
            current_user,
            holder,
            kind=PotKind(form.kind.data),
            support_plan_reference=form.stripped("support_plan_reference"),
            allocation_pence=form.allocation.data or 0,
            allocation_every_days=int(form.every_days.data or 0),
            allocation_starts_on=form.starts_on.data or _required(),
            category_ids=[int(c) for c in form.categories.data or []],
            pa_hourly_cap_pence=form.pa_hourly_cap.data,
        )
    ):
        # A budget whose first payment is due today (or earlier) is paid now, not tomorrow.
        services.allocate_due_to(done.value, london_today())
        flash(f"{done.value.kind.label} set up for {holder.full_name}.", "success")
        return redirect(url_for("payments.pot_statement", pot_id=done.value.id))
    status = 400 if form.is_submitted() else 200
    return render_template("payments/new_pot.html", form=form, holder=holder), status


@bp.route("/pots/<int:pot_id>/fund", methods=["GET", "POST"])
@roles_required(Role.COMMISSIONER)
def fund_pot(pot_id: int) -> tuple[str, int] | BaseResponse:
    pot = _pot_for_commissioner(pot_id)
    form = FundPotForm()
    if form.carry_out(
        lambda: services.fund_pot(
            current_user,
            pot,
            form.amount.pence,
            form.stripped("reason"),
            request_key=form.request_key.data,
        )
    ):
        flash("The payment is in the budget.", "success")
        return redirect(url_for("payments.pot_statement", pot_id=pot.id))
    status = 400 if form.is_submitted() else 200
    form.fresh()
    return render_template("payments/fund_pot.html", form=form, pot=pot), status


@bp.get("/refusals")
@roles_required(Role.COMMISSIONER)
def refusals() -> str:
    return render_template("payments/refusals.html", refusals=statements.refusals_for(current_user))


# Providers: earnings, what they are owed and what was paid out.


@bp.get("/provider")
@roles_required(Role.PROVIDER)
def provider_money() -> str:
    provider = statements.provider_of(current_user)
    return render_template(
        "payments/provider_money.html",
        provider=provider,
        money=statements.provider_money(provider),
        stripe_on=stripe_gateway.configured(),
        connect=payouts.connect_account_for(provider),
    )


@bp.post("/provider/stripe")
@roles_required(Role.PROVIDER)
def provider_stripe_onboarding() -> BaseResponse:
    """Send the provider to Stripe's onboarding for their Express account."""
    if not BaseForm().validate_on_submit():
        abort(400)
    try:
        provider = statements.provider_of(current_user)
        back = url_for("payments.provider_money", _external=True)
        link = payouts.start_onboarding(provider, refresh_url=back, return_url=back)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("payments.provider_money"))
    return redirect(link)


# Card top-ups.


@bp.route("/pots/<int:pot_id>/top-up", methods=["GET", "POST"])
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def top_up(pot_id: int) -> tuple[str, int] | BaseResponse:
    pot = _pot_for_viewer(pot_id)
    form = TopUpForm()
    if done := form.carry_out(
        lambda: topups.start_top_up(
            current_user, pot, form.amount.pence, form.request_key.data or ""
        )
    ):
        return redirect(url_for("payments.pay_top_up", top_up_id=done.value.id))
    status = 400 if form.is_submitted() else 200
    form.fresh()
    return render_template(
        "payments/top_up.html", form=form, pot=pot, cards=stripe_gateway.configured()
    ), status


def _top_up_for_payer(top_up_id: int) -> TopUp:
    made = db.session.get(TopUp, top_up_id)
    if made is None or current_user.role == Role.COMMISSIONER:
        abort(404)
    if not statements.may_see_holder(current_user, made.pot.holder):
        abort(404)
    return made


@bp.get("/top-ups/<int:top_up_id>")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def pay_top_up(top_up_id: int) -> str:
    """The card page: Stripe.js mounts its card element here and confirms the PaymentIntent."""
    made = _top_up_for_payer(top_up_id)
    card = None
    key = current_app.config.get("STRIPE_PUBLISHABLE_KEY")
    if made.status == "pending" and key and made.payment_intent_id and stripe_gateway.configured():
        try:
            secret = stripe_gateway.client_secret(made.payment_intent_id)
        except stripe_gateway.GatewayError:
            secret = ""
        if secret:
            card = {
                "key": key,
                "secret": secret,
                "return": url_for("payments.pot_statement", pot_id=made.pot_id, _external=True),
            }
            g.csp_allows_stripe = True  # the page loads Stripe.js and its card frame
    return render_template("payments/pay_top_up.html", top_up=made, card=card)


@bp.post("/top-ups/<int:top_up_id>/refund")
@roles_required(Role.HOLDER, Role.REPRESENTATIVE)
def refund_top_up(top_up_id: int) -> BaseResponse:
    if not BaseForm().validate_on_submit():
        abort(400)
    made = _top_up_for_payer(top_up_id)
    try:
        topups.refund_top_up(current_user, made)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash("The top-up is being refunded to the card it came from.", "success")
    return redirect(url_for("payments.pot_statement", pot_id=made.pot_id))


@bp.post("/stripe/webhook")
@csrf.exempt
def stripe_webhook() -> tuple[str, int]:
    """Verify the signature on the raw body, store the event once, dispatch it by type."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        abort(404)
    try:
        event = stripe_gateway.parse_webhook(
            request.get_data(), request.headers.get("Stripe-Signature", ""), secret
        )
    except ValueError:
        return "Bad signature", 400
    webhooks.handle(event)
    return "", 200


# Council payment runs.


def _run(run_id: int) -> PayoutRun:
    return payouts.run_for_commissioner(current_user, run_id)


@bp.get("/payout-runs")
@roles_required(Role.COMMISSIONER)
def payout_runs() -> str:
    when = current_app.config["WORKER_SCHEDULE"]["payments-payout-run"]
    return render_template(
        "payments/payout_runs.html",
        runs=payouts.runs_for(current_user),
        gathered=when.words(),
        next_gathering=when.next_start(london_now()),
    )


@bp.get("/payout-runs/<int:run_id>")
@roles_required(Role.COMMISSIONER)
def payout_run(run_id: int) -> str:
    run = _run(run_id)
    missing = payouts.without_bank_details(run)

    def unpaid(payout: Payout) -> bool:  # a run confirmed before the rule may have paid them
        return payout.status != PayoutStatus.PAID

    return render_template(
        "payments/payout_run.html",
        run=run,
        sessions={p.id: named_sessions(p.references) for p in run.payouts},
        missing=missing,
        missing_pence=sum(p.amount_pence for p in run.payouts if p.id in missing and unpaid(p)),
        form=None,
    )


@bp.get("/payout-runs/<int:run_id>/payments.csv")
@roles_required(Role.COMMISSIONER)
def payout_run_csv(run_id: int) -> Response:
    run = _run(run_id)
    audit.note("payout_run.downloaded", run, current_user)
    return _csv(run.csv_text, f"payment-run-{run.id}.csv")


@bp.post("/payout-runs/<int:run_id>/confirm")
@roles_required(Role.COMMISSIONER)
def confirm_payout_run(run_id: int) -> BaseResponse:
    if not BaseForm().validate_on_submit():
        abort(400)
    run = _run(run_id)
    payouts.confirm_run(current_user, run)
    if payouts.without_bank_details(run):
        flash(
            "The payment run is confirmed. Providers with bank details are marked paid; what the "
            "others are owed goes into the next run.",
            "success",
        )
    else:
        flash("The payment run is confirmed and the providers are marked paid.", "success")
    return redirect(url_for("payments.payout_run", run_id=run.id))
