import pytest


@pytest.fixture(autouse=True)
def integration_settings(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://hearth.test"
    settings.PRODUCT_NAME = "Hearth"
    settings.GOOGLE_RETRY_BASE_SECONDS = 0.01
    settings.GOOGLE_RETRY_CAP_SECONDS = 0.05
    return settings
