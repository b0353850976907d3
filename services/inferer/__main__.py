"""python -m services.inferer  (run N side by side: they share one request queue)"""
from services.inferer.handler import ModelCache, handle_infer
from shared import broker, service, storage, worker_metrics
from shared.broker import topology
from shared.labeling import CachedLabeler, MemoryCacheStore, MongoCacheStore, TieredCacheStore, get_labeler


def main() -> None:
    basics = service.start("inferer", redis=False)
    settings, database = basics.settings, basics.db
    store = storage.from_settings(settings)
    # The content-hash cache: an image labelled once (by any inferer) is never labelled again.
    # (timed inside the cache: likely_labeler_image_seconds counts only images really labelled)
    fresh = worker_metrics.TimedLabeler(get_labeler(settings), worker_metrics.backend_name(settings.labeler))
    labeler = CachedLabeler(fresh, TieredCacheStore(MemoryCacheStore(), MongoCacheStore(database.label_cache)))
    models = ModelCache(database)
    # Replies are transient (the caller waits, or has gone): no publisher confirms, no persistence.
    replies = broker.Publisher.for_settings(settings, confirm=False)

    def reply(reply_to, correlation_id, answer):
        # To the caller's direct reply-to address, through the default exchange; not persistent.
        replies.publish(answer, exchange="", routing_key=reply_to, correlation_id=correlation_id, delivery_mode=1)

    def handler(msg, delivery):
        handle_infer(msg, delivery, store=store, labeler=labeler, models=models, reply=reply)

    handler = worker_metrics.timed(worker_metrics.INFER_SECONDS, handler)

    broker.run_worker(topology.INFERER_REQUESTS, handler, name="inferer", settings=settings)


if __name__ == "__main__":
    main()
