"""The project's settings plus the toy domain (tests/toy), which exists only in the test suite."""

from jingwu.settings import *  # noqa: F403
from jingwu.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.toy"]
# Tests move the clock and the cases and look again at once: figures are always computed.
JINGWU_FIGURES_CACHE_SECONDS = 0
