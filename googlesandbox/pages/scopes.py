"""How the consent page describes each scope Hearth asks for — Google's own wording."""

from .. import operations

DESCRIPTIONS = {
    "admin.directory.user.readonly": "View users on your domain",
    "admin.directory.group.readonly": "View groups on your domain",
    "admin.directory.orgunit.readonly": "View organization units on your domain",
    "admin.directory.customer.readonly": "View customer related information",
    "admin.reports.audit.readonly": "View audit reports for your G Suite domain",
    "openid": "Associate you with your personal info on Google",
    "email": "See your primary Google Account email address",
    "profile": "See your personal info, including any personal info you've made publicly available",
}


def scope_description(scope: str) -> str:
    name = scope.removeprefix("https://www.googleapis.com/auth/")
    return DESCRIPTIONS.get(name, name)


def scope_descriptions() -> list[dict]:
    """Hearth's scopes (integrations/google/scopes.py, via operations) with their wording."""
    return [{"url": s, "text": scope_description(s)} for s in operations.hearth_scopes()]
