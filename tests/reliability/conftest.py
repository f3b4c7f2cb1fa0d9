"""Reliability suite: the engine scenario fixtures, the CI/long profile switch and figures."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from tests.engine.conftest import env, make_env  # noqa: F401  (fixtures reused as they are)

# CALSYNC_LONG=1 selects the long profiles: more hypothesis examples and steps, every crash
# point of a bigger scenario, more fault seeds. CI runs the default ("ci") profile.
LONG = os.environ.get("CALSYNC_LONG", "").lower() not in ("", "0", "no", "false")

settings.register_profile(
    "ci",
    max_examples=int(os.environ.get("CALSYNC_EXAMPLES", "200")),
    stateful_step_count=10,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("CALSYNC_EXAMPLES", "2000")),
    stateful_step_count=25,
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
