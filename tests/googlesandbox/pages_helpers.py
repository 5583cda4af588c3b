"""Driving the sandbox's human pages with Django's test client.

The test client talks to Django's WSGI handler directly; the sandbox is told apart per request
by a WSGI environ flag (googlesandbox/server.py), so `SandboxClient` sets it on every request
and its requests resolve against the sandbox's URLconf, exactly as the sandbox server's would.
"""

import re

from django.test import Client

from googlesandbox.pages.cookies import ACCOUNT_COOKIE
from googlesandbox.server import SANDBOX_ENVIRON_FLAG

TOKEN_RE = re.compile(r'name="gs_token" value="([^"]+)"')


class SandboxClient(Client):
    def __init__(self, **defaults):
        super().__init__(**{SANDBOX_ENVIRON_FLAG: True, **defaults})
        self.form_token = ""

    def request(self, **request):
        response = super().request(**request)
        match = TOKEN_RE.search(response.content.decode(errors="replace"))
        if match:
            self.form_token = match.group(1)
        return response

    def submit(self, path: str, data: dict | None = None, **extra):
        """POST a sandbox form with the page's gs_token (fetching a page first if needed)."""
        if not self.form_token:
            self.get("/signin/chooser")
        return self.post(path, {"gs_token": self.form_token, **(data or {})}, **extra)

    def sign_in(self, user, continue_url: str = "/marketplace/hearth"):
        """Choose `user` on the account chooser; returns the chooser's answer."""
        self.get("/signin/chooser", {"continue": continue_url})
        return self.submit("/signin/chooser", {"account": user.google_id, "continue": continue_url})

    @property
    def account_cookie(self) -> str:
        morsel = self.cookies.get(ACCOUNT_COOKIE)
        return morsel.value if morsel else ""
