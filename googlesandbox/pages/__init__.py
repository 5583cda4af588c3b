"""Human pages of the Google sandbox: emulated sign-in, Marketplace listing, admin console, and
"Sign in with Google" (OpenID Connect).

The sandbox's AppConfig imports this package at start-up; importing `oidc` here registers the
`authorization_code` grant on the shared token endpoint (googlesandbox.token's grant-type hook)
independently of URL resolution order.
"""

from . import oidc  # noqa: F401
