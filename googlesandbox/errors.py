"""Google's JSON error bodies for the sandbox's Directory and Reports APIs.

Shape: {"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}} —
what googleapiclient.errors.HttpError parses into `.reason`, `.error_details` and `.status_code`.
A 401 also carries Google's `WWW-Authenticate: Bearer realm="https://accounts.google.com/"`
(with `error="invalid_token"` when a token was sent but is not valid, RFC 6750 §3).

Quota answers follow the Directory API's "Limits and quotas" page
(developers.google.com/admin-sdk/directory/v1/limits): 403 userRateLimitExceeded when the
per-user rate (default 2,400 queries per minute per user per project) is exceeded, 403
quotaExceeded when "the limit of concurrent requests for a certain operation has been reached",
429 rateLimitExceeded for the per-account limit. Messages are those Google's frontend writes
for its quota metrics; the page documents status and reason only.
"""

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(
        self, code: int, message: str, reason: str, *, domain="global", status="",
        authenticate: str = "",
    ):
        super().__init__(message)
        self.authenticate = authenticate
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")

    def response(self) -> JsonResponse:
        detail = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.code == 401:
            detail.update(location="Authorization", locationType="header")
        response = JsonResponse(
            {
                "error": {
                    "code": self.code,
                    "message": self.message,
                    "errors": [detail],
                    "status": self.status,
                }
            },
            status=self.code,
        )
        if self.code == 401:
            response["WWW-Authenticate"] = self.authenticate or BEARER_REALM
        return response


BEARER_REALM = 'Bearer realm="https://accounts.google.com/"'



STATUS_BY_CODE = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def login_required() -> ApiError:
    return ApiError(
        401,
        "Login Required.",
        "required",
        status="UNAUTHENTICATED",
    )


def invalid_credentials() -> ApiError:
    return ApiError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential.",
        "authError",
        authenticate=BEARER_REALM + ', error="invalid_token"',
    )


def insufficient_scopes() -> ApiError:
    return ApiError(
        403, "Request had insufficient authentication scopes.", "insufficientPermissions"
    )


def domain_cannot_use_apis() -> ApiError:
    return ApiError(403, "Domain cannot use apis.", "domainCannotUseApis")


def not_authorized() -> ApiError:
    return ApiError(403, "Not Authorized to access this resource/api", "forbidden")


def not_found(what: str) -> ApiError:
    return ApiError(404, f"Resource Not Found: {what}", "notFound")


def bad_request(message: str, reason: str = "invalid") -> ApiError:
    return ApiError(400, message, reason)


def user_rate_limit_exceeded() -> ApiError:
    return ApiError(
        403,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of "
        "service 'admin.googleapis.com'.",
        "userRateLimitExceeded",
        domain="usageLimits",
    )


def quota_exceeded() -> ApiError:
    """403 quotaExceeded: too many concurrent requests (the limits page's meaning of it)."""
    return ApiError(
        403,
        "Quota exceeded: the limit of concurrent requests for this operation has been reached.",
        "quotaExceeded",
        domain="usageLimits",
    )


def daily_limit_exceeded() -> ApiError:
    """403 dailyLimitExceeded: the project's daily allowance is spent (the limits page's
    "dailyLimitExceeded"); nothing helps until Google resets it."""
    return ApiError(
        403,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service "
        "'admin.googleapis.com'.",
        "dailyLimitExceeded",
        domain="usageLimits",
    )


def concurrent_quota_exceeded() -> ApiError:
    return quota_exceeded()


def page_token_invalid() -> ApiError:
    """400 for a page token that is malformed, made for another listing, or expired.

    The Directory API answers a bad pageToken with 400 "Invalid Input" (reason "invalid");
    Google's API design guide (AIP-158) lets page tokens expire and answers an expired one as
    an invalid argument, so an expired token gets the same answer as a bad one.
    """
    return ApiError(400, "Invalid Input: pageToken", "invalid")


def rate_limit_exceeded() -> ApiError:
    return ApiError(429, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")


def backend_error(code: int) -> ApiError:
    if code == 503:
        return ApiError(503, "The service is currently unavailable.", "backendError")
    return ApiError(500, "Internal error encountered.", "backendError")


def deadline_exceeded() -> ApiError:
    return ApiError(504, "Deadline exceeded.", "deadlineExceeded")
