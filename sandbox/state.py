"""The sandbox's whole state: both services, OAuth, faults, limits, stats, churn."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .churn import Churn
from .clock import Clock
from .faults import Faults
from .google.models import GoogleCalendarState
from .google.seed import seed_google
from .google.seed_real import seed_real_calendar
from .limits import LimitsConfig
from .pipedrive.models import PipedriveState
from .pipedrive.seed import seed_pipedrive
from .stats import Stats
from .tokens import TokenStore

# The installed-app OAuth client the sandbox knows (what client_secret.json hands out).
GOOGLE_CLIENT_ID = "calsync-sandbox.apps.googleusercontent.com"
GOOGLE_CLIENT_SECRET = "sandbox-google-client-secret"
PIPEDRIVE_CLIENT_ID = "calsync-sandbox-pipedrive"
PIPEDRIVE_CLIENT_SECRET = "sandbox-pipedrive-client-secret"


@dataclass(frozen=True)
class SandboxConfig:
    """How the sandbox starts, and what `POST /_sandbox/reset` goes back to."""

    seed: int = 1
    empty: bool = False
    churn_per_minute: int = 0
    limits: str = "off"
    token_ttl: int = 3600
    # The primary calendar as a real one is since 2024: every Google event type (working
    # location, out of office, focus time, birthdays, Gmail's events) and invitations from
    # others with Meet links (sandbox.google.seed_real).
    real_calendar: bool = False


class Sandbox:
    """Everything the fake services hold. Routes reach it as `request.app.state.sandbox`."""

    def __init__(self, config: SandboxConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.stats = Stats()
        self.faults = Faults(seed=self.config.seed)
        self.reset()

    def reset(self) -> None:
        """Back to the state it started with (data, tokens, limits, faults, churn, stats)."""
        cfg = self.config
        now = self.clock.now()
        self.tokens = TokenStore(self.clock, access_ttl=cfg.token_ttl)
        self.limits = LimitsConfig.from_plan(cfg.limits)
        self.faults.reset()
        self.stats.reset()
        self.google = GoogleCalendarState(self.clock)
        self.pipedrive = PipedriveState(self.clock)
        self.pipedrive.api_token = f"sandbox-pipedrive-api-token-{cfg.seed}"
        google_rng = random.Random(cfg.seed)
        seed_google(self.google, google_rng, empty=cfg.empty, now=now)
        if cfg.real_calendar and not cfg.empty:
            seed_real_calendar(self.google, google_rng, now)
        seed_pipedrive(self.pipedrive, random.Random(cfg.seed + 1), empty=cfg.empty, now=now)
        self.churn = Churn(self, per_minute=cfg.churn_per_minute, seed=cfg.seed)
