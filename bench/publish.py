"""The broker's cost of publishing a listing's posts: one confirmed publish at a time
(Publisher.publish, as the ingestor did) against one batch with one wait for its confirms
(Publisher.publish_many, shared.broker.confirms), side by side in one run.

    python bench/publish.py [--messages 2000,10000] [--repeat 5]

On a RabbitMQ virtual host of the benchmark's own (bench/_harness.py), to the real route of
post.discovered (the quorum queue labeler.posts), persistent. Each repeat publishes --messages
post.discovered messages both ways (the queue purged in between; connection and topology set
up beforehand). Figures are medians over the repeats, in ms per message and s per listing.
The last line printed is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _harness

TMP = _harness.isolate("publish")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", default="2000,10000", help="batch sizes, comma-separated")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from kombu import Connection

    from shared import broker
    from shared.broker import topology
    from shared.contracts import PostDiscovered

    results = []
    with _harness.namespace(TMP) as (settings, _mongo):
        pub = broker.Publisher(broker.connect(settings, heartbeat=False), settings)
        purger = Connection(settings.amqp_url)

        def purge():
            topology.LABELER_POSTS(purger.default_channel).purge()

        def timed(publish, msgs) -> float:
            purge()
            started = time.perf_counter()
            publish(msgs)
            return time.perf_counter() - started

        for n in (int(x) for x in args.messages.split(",")):
            msgs = [PostDiscovered(run_id="bench", user_id="bench", media_id=str(i), media_url=f"http://x/{i}",
                                   timestamp=datetime.now(timezone.utc), likes=i) for i in range(n)]
            pub.publish(msgs[0])  # connect and declare, both ways, before timing
            pub.publish_many(msgs[:1])
            one, batch = [], []
            for _ in range(args.repeat):
                one.append(timed(lambda ms: [pub.publish(m) for m in ms], msgs))
                batch.append(timed(pub.publish_many, msgs))
            row = {"messages": n, "one_by_one_ms": round(statistics.median(one) / n * 1000, 3),
                   "batch_ms": round(statistics.median(batch) / n * 1000, 3),
                   "one_by_one_s": round(statistics.median(one), 2), "batch_s": round(statistics.median(batch), 2)}
            row["speedup"] = round(row["one_by_one_ms"] / row["batch_ms"], 1)
            print(f"{n} messages: {row['one_by_one_ms']} ms/message one by one ({row['one_by_one_s']} s), "
                  f"{row['batch_ms']} ms/message in one batch ({row['batch_s']} s): x{row['speedup']}", flush=True)
            results.append(row)
        purge()
        purger.release()
        pub.close()
    print(json.dumps({"repeat": args.repeat, "results": results}))


if __name__ == "__main__":
    main()
