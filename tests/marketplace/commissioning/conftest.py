"""The same separate-browser clients as the accounts tests."""

from tests.marketplace.accounts.conftest import another_client, client

__all__ = ["another_client", "client"]
