# The sandbox fixtures, until tests/conftest.py registers the plugin for the whole suite
# (pytest_plugins is only allowed in the root conftest).
from tests.googlesandbox.fixtures import *  # noqa: F403
