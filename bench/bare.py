"""Settings for the city benchmark's server: the project's, with ``bare_urls`` (bare views at ``/bench/bare/…``
beside the project's own URLs)."""

from __future__ import annotations

from jingwu.settings import *  # noqa: F403

ROOT_URLCONF = "bare_urls"
