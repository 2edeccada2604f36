"""Arbitrary text in the public forms never causes a 500 and never half-saves anything."""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Role, User
from marketplace.extensions import db
from tests.marketplace.accounts.helpers import last_link_to

ALLOWED = {200, 302, 400, 404, 429}


def in_path(token: str) -> str:
    """A token as one URL path segment. Slashes are left out: they make another path, which
    the router may answer with a redirect to a tidied URL."""
    return quote(token.replace("/", ""), safe="")


FUZZ = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Text people might paste, plus NULs, control characters, astral unicode and very long strings.
texts = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=50),
    st.text(min_size=300, max_size=3000),
    st.sampled_from(["\x00", "a@b.c\x00", "ada@example.org", "' OR 1=1 --", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]),
)


@FUZZ
@given(email=texts, password=texts, next_url=texts)
def test_sign_in_survives_any_text(client, make_user, email, password, next_url):
    response = client.post(
        "/sign-in", query_string={"next": next_url}, data={"email": email, "password": password}
    )
    assert response.status_code in ALLOWED
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/")


@FUZZ
@given(email=texts)
def test_forgot_password_survives_any_text(client, app_ctx, email):
    response = client.post("/forgot-password", data={"email": email})
    assert response.status_code in ALLOWED


@FUZZ
@given(token=texts, password=texts, confirm=texts)
def test_reset_password_survives_any_text(client, app_ctx, token, password, confirm):
    response = client.post(
        f"/reset-password/{in_path(token)}", data={"password": password, "confirm": confirm}
    )
    assert response.status_code in ALLOWED


def test_reset_password_with_a_real_token_survives_any_text(client, make_user):
    user = make_user(Role.HOLDER)
    client.post("/forgot-password", data={"email": user.email})
    link = last_link_to(user.email)

    @FUZZ
    @given(password=texts, confirm=texts)
    def attempt(password, confirm):
        response = client.post(link, data={"password": password, "confirm": confirm})
        assert response.status_code in ALLOWED

    attempt()


@FUZZ
@given(token=texts, full_name=texts, password=texts)
def test_accept_invitation_with_any_token_survives(client, app_ctx, token, full_name, password):
    response = client.post(
        f"/invitations/{in_path(token)}",
        data={"full_name": full_name, "password": password, "confirm": password},
    )
    assert response.status_code in ALLOWED
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_accept_invitation_never_half_saves(client, make_user):
    commissioner = make_user(Role.COMMISSIONER)
    services.invite_holder(commissioner, email="ada@example.org", full_name="Ada")
    db.session.commit()
    link = last_link_to("ada@example.org")

    @FUZZ
    @given(full_name=texts, password=texts, confirm=texts | st.just("same"))
    def attempt(full_name, password, confirm):
        confirm = password if confirm == "same" else confirm
        response = client.post(
            link, data={"full_name": full_name, "password": password, "confirm": confirm}
        )
        assert response.status_code in ALLOWED
        db.session.expire_all()
        invitation = db.session.scalar(select(Invitation))
        created = db.session.scalars(select(User).where(User.email == "ada@example.org")).all()
        # Either the account and the accepted invitation both exist, or neither does.
        assert len(created) == (1 if invitation.accepted_at else 0)
        if response.status_code != 302:
            assert response.status_code != 500

    attempt()
