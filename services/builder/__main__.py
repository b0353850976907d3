"""python -m services.builder"""
from shared import db as dbmod, messaging, progress as progressmod, topology
from shared.settings import load

from services.builder.handler import handle_build


def main() -> None:
    settings = load()
    database = dbmod.database(settings)
    dbmod.ensure_indexes(database)
    progress = progressmod.Progress(progressmod.connect(settings.redis_url))

    def handler(msg, delivery):
        handle_build(msg, delivery, db=database, progress=progress)

    messaging.run_worker(topology.BUILDER_BUILD, handler, name="builder", settings=settings)


if __name__ == "__main__":
    main()
