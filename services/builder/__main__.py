"""python -m services.builder"""
from shared import db as dbmod, logs, messaging, metrics, progress as progressmod, topology
from shared.model import build_model
from shared.settings import load

from services.builder.handler import handle_build


def main() -> None:
    logs.setup("builder")
    settings = load()
    database = dbmod.database(settings)
    dbmod.ensure_indexes(database)
    progress = progressmod.Progress(progressmod.connect(settings.redis_url))
    fit = metrics.timed(metrics.FIT_SECONDS, build_model)

    def handler(msg, delivery):
        handle_build(msg, delivery, db=database, progress=progress, fit=fit)

    messaging.run_worker(topology.BUILDER_BUILD, handler, name="builder", settings=settings)


if __name__ == "__main__":
    main()
