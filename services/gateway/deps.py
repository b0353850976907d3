"""The gateway's collaborators, created lazily once per process (after gunicorn forks)
and per thread where a client is not thread-safe (the kombu connection); `deps()` is the app's
`Deps` from any request. Imports no route module."""
from __future__ import annotations

import threading
from functools import cached_property

from flask import current_app

from shared import broker, storage
from shared import db as dbmod
from shared import progress as progressmod
from shared.instagram import InstagramClient
from shared.secrets import TokenCipher
from shared.settings import Settings, load


class Deps:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or load()
        self._local = threading.local()

    @cached_property
    def db(self):
        database = dbmod.database(self.settings)
        dbmod.ensure_indexes(database)
        return database

    @cached_property
    def redis(self):
        return progressmod.connect(self.settings.redis_url)

    @cached_property
    def progress(self) -> progressmod.Progress:
        return progressmod.Progress(self.redis)

    @cached_property
    def sessions(self):
        """Session tokens, cached in Redis and revoked at once (`services.gateway.accounts.sessions`)."""
        from services.gateway.accounts.sessions import SessionStore

        return SessionStore(self.db, self.redis)

    @cached_property
    def run_status(self):
        """The status of runs, read cheaply (`services.gateway.runs.run_status`)."""
        from services.gateway.runs.run_status import RunStatusReader

        return RunStatusReader(self.db, self.progress)

    @cached_property
    def store(self) -> storage.ImageStore:
        return storage.from_settings(self.settings)

    @cached_property
    def instagram(self) -> InstagramClient:
        return InstagramClient(self.settings)

    @cached_property
    def cipher(self) -> TokenCipher:
        return TokenCipher(self.settings)

    @property
    def rpc(self):
        """This thread's RPC client (the inferer); like the publisher, never shared."""
        from shared.broker.rpc import RpcClient

        client = getattr(self._local, "rpc", None)
        if client is None:
            client = self._local.rpc = RpcClient.from_settings(self.settings)
        return client

    @property
    def publisher(self) -> broker.Publisher:
        pub = getattr(self._local, "publisher", None)
        if pub is None:
            # The edge gives up fast when the broker is down (503, EDGE_RETRY_POLICY), rather than waiting.
            conn = broker.connect(self.settings, heartbeat=False, connect_timeout=1)
            pub = self._local.publisher = broker.Publisher(
                conn, self.settings, retry_policy=broker.EDGE_RETRY_POLICY
            )
        return pub


def deps() -> Deps:
    """The current app's collaborators (`create_app` puts them in `app.extensions`)."""
    return current_app.extensions["likely"]
