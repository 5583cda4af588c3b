"""Where a panel action returns to: the page it was posted from (`next`), never elsewhere."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""
