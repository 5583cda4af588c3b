"""Absolute links for emails: a mail client has no current page, so every link carries SITE_URL."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """Turn a site path ("/integrations/") into a full URL under settings.SITE_URL.

    Already absolute URLs (http://, https://, mailto:) are returned unchanged, so templates can pass
    any link through without checking.
    """
    if "://" in path or path.startswith("mailto:"):
        return path
    return f"{settings.SITE_URL.rstrip('/')}/{path.lstrip('/')}"
