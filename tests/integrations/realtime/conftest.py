"""Real-time sync tests start from the sync tests' connected Acme."""

from tests.integrations.sync.conftest import acme, connected  # noqa: F401
