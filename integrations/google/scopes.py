"""The OAuth scopes Hearth asks a Workspace domain to grant (domain-wide, read-only).

A plain constant module with no Google imports, so the sandbox and the wizard can show and check
the same list.
"""

SCOPE_PREFIX = "https://www.googleapis.com/auth/"

GOOGLE_SCOPES: tuple[str, ...] = tuple(
    SCOPE_PREFIX + name
    for name in (
        "admin.directory.user.readonly",
        "admin.directory.group.readonly",
        "admin.directory.orgunit.readonly",
        "admin.directory.customer.readonly",
        "admin.reports.audit.readonly",
    )
)
