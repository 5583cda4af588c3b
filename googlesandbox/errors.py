"""Google's JSON error bodies for the sandbox's Directory and Reports APIs.

Shape: {"error": {"code", "message", "errors": [{"message", "domain", "reason"}], "status"}} —
what googleapiclient.errors.HttpError parses into `.reason`, `.error_details` and `.status_code`.
"""

from django.http import JsonResponse


class ApiError(Exception):
    def __init__(self, code: int, message: str, reason: str, *, domain="global", status=""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        self.domain = domain
        self.status = status or STATUS_BY_CODE.get(code, "UNKNOWN")

    def response(self) -> JsonResponse:
        detail = {"message": self.message, "domain": self.domain, "reason": self.reason}
        if self.code == 401:
            detail.update(location="Authorization", locationType="header")
        return JsonResponse(
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
    return ApiError(
        403,
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per day' of service "
        "'admin.googleapis.com'.",
        "quotaExceeded",
        domain="usageLimits",
    )


def rate_limit_exceeded() -> ApiError:
    return ApiError(429, "Rate Limit Exceeded", "rateLimitExceeded", domain="usageLimits")


def backend_error(code: int) -> ApiError:
    if code == 503:
        return ApiError(503, "The service is currently unavailable.", "backendError")
    return ApiError(500, "Internal error encountered.", "backendError")


def deadline_exceeded() -> ApiError:
    return ApiError(504, "Deadline exceeded.", "deadlineExceeded")
