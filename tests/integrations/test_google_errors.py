"""Google's answers classified by reason (integrations/google/errors.py): what is retried, what
stops the run at once."""

import json

import httplib2
import pytest
from googleapiclient.errors import HttpError

from integrations.errors import GoogleDailyLimitReached, GoogleTemporaryError
from integrations.google.errors import is_concurrency_refusal, is_transient, translate


def answer(status: int, reason: str, message: str) -> HttpError:
    body = {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}}
    return HttpError(httplib2.Response({"status": status}), json.dumps(body).encode())


PER_DAY = "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service"
PER_MINUTE = "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user'"


@pytest.mark.parametrize(
    ("status", "reason", "message"),
    [
        (403, "dailyLimitExceeded", PER_DAY),
        (403, "quotaExceeded", PER_DAY),  # the same limit, told by its message
        (429, "rateLimitExceeded", PER_DAY),
    ],
)
def test_a_spent_daily_quota_is_not_retried(status, reason, message):
    error = answer(status, reason, message)
    assert not is_transient(error)
    assert not is_concurrency_refusal(error)
    assert isinstance(translate(error), GoogleDailyLimitReached)


@pytest.mark.parametrize(
    ("status", "reason", "message", "concurrency"),
    [
        (403, "userRateLimitExceeded", PER_MINUTE, False),
        (403, "rateLimitExceeded", "Rate Limit Exceeded", False),
        (429, "rateLimitExceeded", "Rate Limit Exceeded", False),
        (403, "quotaExceeded", "the limit of concurrent requests has been reached", True),
        (503, "backendError", "The service is currently unavailable.", False),
    ],
)
def test_per_minute_limits_and_overload_are_retried(status, reason, message, concurrency):
    error = answer(status, reason, message)
    assert is_transient(error)
    assert is_concurrency_refusal(error) is concurrency
    assert isinstance(translate(error), GoogleTemporaryError)
