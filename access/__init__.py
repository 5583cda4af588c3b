"""Who may get in, and as what: the sign-in rules (a deactivated or archived person, or one
without a seat, is refused with a page saying whom to ask), Sign in with Google matched on
Google's id, Hearth roles (never the last admin who can sign in), allauth's adapters and the
sign-up form.

Above licenses (a seat decides whether a person may sign in) and the people core; below the
pages (panel) and the invitations that grant the admin role.
"""
