"""What every worker does when it starts: JSON logs, settings, MongoDB with its indexes, Redis.

One place for the start-up each `services/<name>/__main__.py` shares, so a worker's main
holds only what is its own (its handler and its collaborators)."""
from __future__ import annotations

from dataclasses import dataclass

from pymongo.database import Database

from shared import db as dbmod
from shared import logs
from shared import progress as progressmod
from shared.settings import Settings, load


@dataclass(frozen=True)
class Basics:
    settings: Settings
    db: Database
    progress: progressmod.Progress | None


def start(name: str, *, redis: bool = True) -> Basics:
    """Logs as `name`, settings read once, indexes ensured; Redis progress unless `redis=False`."""
    logs.setup(name)
    settings = load()
    database = dbmod.database(settings)
    dbmod.ensure_indexes(database)
    progress = progressmod.Progress(progressmod.connect(settings.redis_url)) if redis else None
    return Basics(settings, database, progress)
