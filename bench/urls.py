"""Hearth's URLs as the benchmark serves them: config.urls, plus User Management's pages under
their "usermanagement" namespace when config.urls does not include them yet (the people list's
templates link to them). Once config.urls includes usermanagement.urls_more this adds nothing.
"""

from django.urls import include, path

from config.urls import urlpatterns as hearth_urlpatterns


def _has_namespace(patterns, name: str) -> bool:
    return any(getattr(p, "namespace", None) == name for p in patterns)


urlpatterns = list(hearth_urlpatterns)
if not _has_namespace(urlpatterns, "usermanagement"):
    urlpatterns.append(path("panel/users/", include("usermanagement.urls_more")))
