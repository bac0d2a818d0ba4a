"""The project's settings plus the toy domain (tests/toy), which exists only in the test suite."""

from jingwu.settings import *  # noqa: F403
from jingwu.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.toy"]
