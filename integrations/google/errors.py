"""Google's failures translated into integrations.errors — the one place that does it.

Everything the Google libraries raise while Hearth talks to Google (HttpError from
googleapiclient, RefreshError/TransportError from google-auth, socket and httplib2 trouble)
passes through `translate`, which returns one of the typed errors. `is_transient` says which
answers the client retries (429, 5xx, timeouts, and the 403 quota reasons).
"""

import json
import socket
import ssl

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from integrations.errors import (
    ApiAccessDisabled,
    DirectoryAccessDenied,
    GoogleDailyLimitReached,
    GoogleTemporaryError,
    GoogleUnknownError,
    IntegrationError,
    NotInstalled,
    SyncAccountInvalid,
)

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Per-minute limits and overload: backing off helps within seconds.
TRANSIENT_REASONS = frozenset(
    {"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "backendError"}
)
# The project's daily allowance is spent: nothing helps until Google resets it (a day), so
# retrying only burns time. Google names it by reason, or by a "per day" limit in the message
# of a quotaExceeded answer ("Quota exceeded for quota metric 'Queries' and limit 'Queries per
# day'").
DAILY_REASONS = frozenset({"dailyLimitExceeded", "dailyLimitExceededUnreg"})
NETWORK_ERRORS = (
    socket.timeout,
    TimeoutError,
    ConnectionError,
    ssl.SSLError,
    httplib2.HttpLib2Error,
    auth_exceptions.TransportError,
)


class GooglePageTokenExpired(GoogleUnknownError):
    """400 for a page token Google no longer accepts (tokens expire): the listing restarts."""

    headline = "G Suite ended a listing early."


class GoogleNotFound(GoogleUnknownError):
    """404 for one resource (a users.get of a deleted person): callers handle it."""

    headline = "G Suite does not know this object."


def http_error_reason(exc: HttpError) -> tuple[str, str]:
    """(reason, message) of Google's JSON error body, e.g. ("forbidden", "Not Authorized ...")."""
    try:
        body = json.loads(exc.content.decode("utf-8"))
        error = body["error"]
        details = error.get("errors") or [{}]
        return str(details[0].get("reason", "")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return "", str(getattr(exc, "reason", "") or "")


def is_daily_limit(exc: BaseException) -> bool:
    if not isinstance(exc, HttpError) or exc.resp.status not in (403, 429):
        return False
    reason, message = http_error_reason(exc)
    return reason in DAILY_REASONS or "per day" in message.lower()


def failure_reason(exc: BaseException) -> str:
    """A short name for a failed call, for the run's tally of errors Google answered."""
    if isinstance(exc, HttpError):
        reason, _message = http_error_reason(exc)
        return reason or str(exc.resp.status)
    if isinstance(exc, NETWORK_ERRORS):
        return "timeout" if isinstance(exc, socket.timeout | TimeoutError) else "network"
    return type(exc).__name__


def is_concurrency_refusal(exc: BaseException) -> bool:
    """403 quotaExceeded that is not a daily limit: too many requests in flight at once."""
    if not isinstance(exc, HttpError) or exc.resp.status != 403 or is_daily_limit(exc):
        return False
    reason, _message = http_error_reason(exc)
    return reason == "quotaExceeded"


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, HttpError):
        if is_daily_limit(exc):
            return False
        status = exc.resp.status
        if status in TRANSIENT_STATUSES:
            return True
        reason, _ = http_error_reason(exc)
        return status == 403 and reason in TRANSIENT_REASONS
    if isinstance(exc, auth_exceptions.RefreshError):
        return bool(getattr(exc, "retryable", False))
    return isinstance(exc, NETWORK_ERRORS)


def _refresh_error(exc: auth_exceptions.RefreshError) -> IntegrationError:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error") or str(exc.args[0] if exc.args else "").split(":")[0]).strip()
    description = str(data.get("error_description") or (exc.args[0] if exc.args else ""))
    detail = f"Token endpoint: {code}: {description}"
    if code == "unauthorized_client":
        return NotInstalled(detail)
    if code == "access_denied":
        return DirectoryAccessDenied(detail)
    if code == "invalid_grant" and "email" in description.lower():
        return SyncAccountInvalid(detail)
    if getattr(exc, "retryable", False):
        return GoogleTemporaryError(detail)
    return GoogleUnknownError(detail)


def translate(exc: BaseException) -> IntegrationError:
    """The typed error for anything the Google libraries (or the network) raised."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, HttpError):
        status = exc.resp.status
        reason, message = http_error_reason(exc)
        detail = f"HTTP {status} {reason}: {message}".strip()
        if status == 403 and (reason == "domainCannotUseApis" or "cannot use api" in message):
            return ApiAccessDisabled(detail)
        if status == 403 and "Not Authorized to access this resource" in message:
            return DirectoryAccessDenied(detail)
        if is_daily_limit(exc):
            return GoogleDailyLimitReached(detail)
        if status == 403 and reason == "insufficientPermissions":
            # The token lacks a scope: the domain-wide grant does not cover what we ask for.
            return NotInstalled(detail)
        if is_transient(exc):
            return GoogleTemporaryError(detail)
        if status == 404:
            return GoogleNotFound(detail)
        if status == 400 and "pagetoken" in message.lower().replace(" ", ""):
            return GooglePageTokenExpired(detail)
        if status == 401:
            return NotInstalled(detail)
        return GoogleUnknownError(detail)
    if isinstance(exc, auth_exceptions.RefreshError):
        return _refresh_error(exc)
    if isinstance(exc, NETWORK_ERRORS):
        return GoogleTemporaryError(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, auth_exceptions.GoogleAuthError):
        return GoogleUnknownError(f"{type(exc).__name__}: {exc}")
    return GoogleUnknownError(f"{type(exc).__name__}: {exc}")
