"""Typed errors of the G Suite integration, each with the headline and fix a person reads.

The Google client (integrations/google/errors.py) turns every Google failure into one of these;
the finalize check, the sync runs, the wizard pages and the commands only ever see these. The
three finalize headlines are the help article's, word for word (docs/sync.md, "Integration
states").

`transient` says whether retrying later may help (the client already retried with backoff before
raising GoogleTemporaryError); `halts` says whether the integration goes into *error* and a
person has to act.
"""

from django.conf import settings


class IntegrationError(Exception):
    headline: str = "Something went wrong while talking to G Suite."
    fix: str = "Please try again in a few minutes."
    transient: bool = False
    halts: bool = True

    def __init__(self, detail: str = "", *, headline: str | None = None, fix: str | None = None):
        self.headline = headline if headline is not None else self.default_headline()
        if fix is not None:
            self.fix = fix
        self.detail = detail
        super().__init__(detail or self.headline)

    def default_headline(self) -> str:
        return type(self).headline

    @property
    def code(self) -> str:
        return type(self).__name__


class ApiAccessDisabled(IntegrationError):
    """403 "Domain cannot use apis.": API access is off in the Admin console."""

    headline = "The API access has been disabled in the G Suite Admin Panel settings"
    fix = "Please enable it and retry Step 2."


class NotInstalled(IntegrationError):
    """The token endpoint answers unauthorized_client: no domain-wide grant for our client."""

    fix = "Please go back to Step 1."

    def default_headline(self) -> str:
        return f"{settings.PRODUCT_NAME} has not been properly installed in G Suite."


class InstallPending(IntegrationError):
    """Not installed *yet*: the admin came back from the Marketplace minutes ago, and Google can
    take a few minutes to apply a domain install and its rights. The wizard keeps checking until
    `until`; only then does "not properly installed" stand."""

    headline = "G Suite may need a few minutes to apply the installation."
    transient = True
    halts = False

    def __init__(self, detail: str = "", *, until=None):
        self.until = until
        super().__init__(detail)
        self.fix = (
            f"{settings.PRODUCT_NAME} keeps checking on its own, and this page updates itself"
            + (f" until {until:%H:%M} UTC." if until else ".")
        )


class DirectoryAccessDenied(IntegrationError):
    """403 "Not Authorized to access this resource/api": the sync account is not an admin."""

    headline = "This account cannot access the G Suite Directory."
    fix = (
        "Either choose another account or add the correct rights in G Suite Admin Panel."
    )


class SyncAccountInvalid(IntegrationError):
    """invalid_grant: Google does not know the sync account (deleted, suspended, mistyped)."""

    headline = "G Suite does not recognise the sync account."
    fix = (
        "Check that the account still exists and is not suspended in G Suite, or choose "
        "another account."
    )


class GoogleTemporaryError(IntegrationError):
    """Google is down, slow or rate limiting us, even after retries."""

    headline = "G Suite is temporarily unavailable."
    fix = "This is usually temporary: please try again in a few minutes."
    transient = True
    halts = False


class GoogleDailyLimitReached(IntegrationError):
    """Google's daily API allowance for Hearth is spent: retrying before it resets only fails."""

    headline = "G Suite's daily limit for directory requests has been reached."
    fix = (
        "Nothing needs to be done: syncing resumes by itself when Google resets the daily "
        "limit. If it happens again, contact support."
    )
    halts = False


class GoogleUnknownError(IntegrationError):
    """Anything Google answered that we do not recognise."""

    headline = "G Suite answered with an unexpected error."
    fix = "Please try again later. If it keeps happening, contact support."


class CustomerAlreadyConnected(IntegrationError):
    """The Workspace customer is already connected to another Hearth organization."""

    headline = "This G Suite account is already connected to another organization."
    fix = (
        "A G Suite account can be connected to only one organization. Contact support if this "
        "organization should take it over."
    )
    halts = False


class WrongCustomer(IntegrationError):
    """The sync account now reads another Workspace than the one connected (the account moved
    to another customer, or the connection was made for the wrong one): reading it would
    remove everyone of the real one."""

    headline = "The sync account now belongs to a different G Suite account."
    fix = (
        "Choose a sync account of the G Suite account you connected, or disconnect and connect "
        "again. Nothing was changed in Hearth."
    )


class IntegrationStateError(Exception):
    """A transition that the integration's current state does not allow."""


class SyncAllUsersTooSoon(Exception):
    """Sync All Users was used less than 24 hours ago; `allowed_at` says when it is allowed."""

    def __init__(self, allowed_at):
        self.allowed_at = allowed_at
        super().__init__(f"Sync All Users can be used again at {allowed_at:%Y-%m-%d %H:%M} UTC.")


def error_class_for(code: str) -> type[IntegrationError] | None:
    """The typed error a run or a check recorded by its code (`IntegrationError.code`, the class
    name kept in SyncRun.error_class), or None for anything else (a crash, a lost lock)."""
    found = {cls.__name__: cls for cls in _subclasses(IntegrationError)}
    return found.get(code)


def error_matching(headline: str) -> type[IntegrationError] | None:
    """The typed error whose headline this is (the integration row keeps headline and fix)."""
    for cls in _subclasses(IntegrationError):
        if headline and cls.__init__ is IntegrationError.__init__ and cls().headline == headline:
            return cls
    return None


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)
