"""The Redis counting script, on the real Redis: each media counted once, one 'complete'."""
import threading
import uuid

from shared.progress import Progress


def new_run(progress: Progress, total: int) -> str:
    run_id = uuid.uuid4().hex
    progress.set_running(run_id, "user-1", total)
    return run_id


def test_counts_each_media_once_and_completes_once(progress):
    run_id = new_run(progress, 3)
    assert progress.record(run_id, "a", "done") == ("counted", "running")
    assert progress.record(run_id, "a", "done") == ("duplicate", "running")
    assert progress.record(run_id, "b", "failed") == ("counted", "running")
    assert progress.record(run_id, "c", "done") == ("complete", "building")
    assert progress.record(run_id, "c", "done") == ("duplicate", "building")
    live = progress.get(run_id)
    assert (live.state, live.total, live.done, live.failed) == ("building", 3, 2, 1)


def test_concurrent_deliveries_give_exactly_one_complete(progress, redis_client):
    total = 200
    run_id = new_run(progress, total)
    verdicts: list[str] = []
    lock = threading.Lock()

    def worker(offset: int):
        mine = Progress(redis_client)
        for i in range(total):  # every worker delivers every media: 4 deliveries each
            verdict, _ = mine.record(run_id, f"m{(i + offset) % total}", "done")
            with lock:
                verdicts.append(verdict)

    threads = [threading.Thread(target=worker, args=(k * 50,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert verdicts.count("complete") == 1
    assert verdicts.count("counted") == total - 1
    assert progress.get(run_id).done == total


def test_cancelled_run_counts_nothing(progress):
    run_id = new_run(progress, 2)
    progress.set_state(run_id, "cancelled")
    assert progress.record(run_id, "a", "done") == ("inactive", "cancelled")
    assert progress.get(run_id).done == 0


def test_missing_run_is_reported_and_restore_is_idempotent(progress):
    run_id = uuid.uuid4().hex
    assert progress.record(run_id, "a", "done")[0] == "missing"
    assert progress.restore(run_id, "user-1", "running", 3, ["a"], ["b"]) is True
    assert progress.restore(run_id, "user-1", "running", 3, [], []) is False  # never overwrites
    assert progress.record(run_id, "a", "done")[0] == "duplicate"
    assert progress.record(run_id, "c", "done")[0] == "complete"
