import contextlib
from pathlib import Path

import pytest

# Until tests/conftest.py registers the sandbox fixtures for everyone.
with contextlib.suppress(ImportError):  # the sandbox helper has not landed them yet
    from tests.googlesandbox.fixtures import *  # noqa: F403

# Stand-ins for the wizard's emails (sync_request, setup_completed) while those templates are
# being written; the real ones under templates/ come first in DIRS and win once they exist.
STANDIN_TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True)
def integration_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://hearth.test"
    settings.PRODUCT_NAME = "Hearth"
    settings.GOOGLE_RETRY_BASE_SECONDS = 0.01
    settings.GOOGLE_RETRY_CAP_SECONDS = 0.05
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], STANDIN_TEMPLATES]
    settings.TEMPLATES = templates
    return settings
