"""What the sandbox knows of Hearth: the scopes Hearth asks for and Hearth's client id.

At Google these are facts of the Marketplace listing and of the service account, not code the
emulator could import, so the sandbox keeps its own copy: it imports nothing of the product.
tests/googlesandbox/test_contract.py checks that this copy equals
`integrations.google.scopes.GOOGLE_SCOPES`.
"""

from . import keys

SCOPE_PREFIX = "https://www.googleapis.com/auth/"

HEARTH_SCOPES: tuple[str, ...] = tuple(
    SCOPE_PREFIX + name
    for name in (
        "admin.directory.user.readonly",
        "admin.directory.group.readonly",
        "admin.directory.orgunit.readonly",
        "admin.directory.customer.readonly",
        "admin.reports.audit.readonly",
    )
)


def hearth_scopes() -> tuple[str, ...]:
    return HEARTH_SCOPES


def hearth_client_id() -> str:
    """The numeric client id of Hearth's service account (from its key file, as Google knows it)."""
    return keys.service_account_known().client_id
