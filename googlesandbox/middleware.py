"""Routes requests served by the sandbox server to the sandbox's own URLconf.

Must be FIRST in MIDDLEWARE so that everything after it resolves against googlesandbox.urls.
"""

from .server import SANDBOX_ENVIRON_FLAG, SANDBOX_URLCONF


class SandboxRoutingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.META.get(SANDBOX_ENVIRON_FLAG):
            request.urlconf = SANDBOX_URLCONF
            request.is_google_sandbox = True
        return self.get_response(request)
