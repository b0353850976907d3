"""python -m services.builder"""
from services.builder.handler import handle_build
from shared import broker, service, worker_metrics
from shared.broker import topology
from shared.model import build_model


def main() -> None:
    basics = service.start("builder")
    settings, database, progress = basics.settings, basics.db, basics.progress
    assert progress is not None  # start(redis=True), the default
    fit = worker_metrics.timed(worker_metrics.FIT_SECONDS, build_model)

    def handler(msg, delivery):
        handle_build(msg, delivery, db=database, progress=progress, fit=fit)

    broker.run_worker(topology.BUILDER_BUILD, handler, name="builder", settings=settings)


if __name__ == "__main__":
    main()
