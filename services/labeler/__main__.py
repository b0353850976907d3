"""python -m services.labeler  (run N of them side by side: they share one queue)"""
import threading

from services.labeler import download
from services.labeler.handler import handle_post
from shared import broker, service, storage, worker_metrics
from shared.broker import topology
from shared.labeling import ImageLimits, concurrency, get_labeler
from shared.labeling.rekognition import CALL_SECONDS as REKOGNITION_CALL_SECONDS


def main() -> None:
    basics = service.start("labeler")
    settings, database, progress = basics.settings, basics.db, basics.progress
    assert progress is not None  # start(redis=True), the default
    store = storage.from_settings(settings)
    labeler = worker_metrics.TimedLabeler(get_labeler(settings), worker_metrics.backend_name(settings.labeler))
    publisher = broker.Publisher.for_settings(settings)
    policy, local = download.Policy.from_settings(settings), threading.local()
    # A paid labeler's claim on a post outlasts its download and its call (then a worker killed
    # holding it has lost it: another may label the post).
    claim_seconds = settings.download_timeout + REKOGNITION_CALL_SECONDS
    limits = ImageLimits.from_settings(settings)

    def fetch(url: str) -> bytes:  # one HTTP session per handler thread: connections are reused
        if not hasattr(local, "session"):
            local.session = policy.session()
        return download.fetch(url, max_bytes=settings.max_image_bytes, timeout=settings.download_timeout,
                              policy=policy, session=local.session)

    def handler(msg, delivery):
        handle_post(msg, delivery, db=database, progress=progress, store=store, labeler=labeler,
                    fetch=fetch, publish=publisher.publish, limits=limits, claim_seconds=claim_seconds)

    # A remote labeler waits on the network: keep several posts in flight (handle_post, the
    # labeler, pymongo, redis-py and the publisher are thread-safe); the offline model computes.
    broker.run_worker(topology.LABELER_POSTS, handler, name="labeler", settings=settings,
                         concurrency=concurrency(settings))


if __name__ == "__main__":
    main()
