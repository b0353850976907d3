"""python -m services.janitor  (one is enough; two are harmless): the dead-letter watcher
(consumes every `<queue>.dead`) and, in a thread, the reaper of stalled runs."""
import logging
import threading

from services.janitor import dead_letters, dead_letters_watcher, reaper
from shared import broker, service
from shared.broker import topology

log = logging.getLogger("janitor")


def main() -> None:
    basics = service.start("janitor")
    settings, database, progress = basics.settings, basics.db, basics.progress
    assert progress is not None  # start(redis=True), the default

    def reap_forever(stop: threading.Event) -> None:
        # its own publisher: kombu connections are never shared across threads
        publisher = broker.Publisher.for_settings(settings)
        while not stop.wait(settings.janitor_interval):
            try:
                reaper.sweep(database, progress, publisher.publish, stall=settings.run_stall_timeout,
                             publish_many=publisher.publish_many)
            except Exception as exc:  # noqa: BLE001 - MongoDB, Redis or the broker is down: next sweep
                log.warning("sweep skipped: %r", exc)

    stop = threading.Event()
    threading.Thread(target=reap_forever, args=(stop,), name="reaper", daemon=True).start()
    publisher = broker.Publisher.for_settings(settings)

    def handler(queue, type_name, body, headers):
        dead_letters.handle_dead(queue, type_name, body, headers, db=database, progress=progress,
                                publish=publisher.publish)

    try:
        dead_letters_watcher.run_watcher(topology.DEAD_QUEUES, handler, name="janitor", settings=settings)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
