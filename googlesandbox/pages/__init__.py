"""Human pages of the Google sandbox (Marketplace listing, admin console, OIDC sign-in).

Owned by the pages helper. The sandbox's AppConfig imports this package at start-up, so a module
imported here can register extra token-endpoint grant types with
`googlesandbox.token.grant_type_register("authorization_code", handler)`.
"""
