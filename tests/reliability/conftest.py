"""The reliability suites share the sync tests' fixtures: Acme connected over the sandbox."""

from tests.integrations.conftest import integration_settings  # noqa: F401
from tests.integrations.sync.conftest import Acme, acme, connected  # noqa: F401
