"""What the offline labeler sees in real Instagram photos, judged against a hand-made truth.

    python bench/labeling_quality.py [--photos DIR] [--truth FILE] [--limit N] [--fit]

Photos: `../shared/data/real/photos_hashtag2023` (400 real posts; read in place, never copied;
`LIKELY_REAL_DATA` points elsewhere). Truth: bench/labeling_truth.json, 120 of those photos
judged by eye from the photos alone (what is present, of a fixed vocabulary, plus other
things seen, and how many people).

Prints, over every photo: labels per photo (median, mean), the share with no label, the share
with a person label, CPU time per photo (all threads of the process, decode included). Over
the truth's photos: the share of photos with people that get "Person", the share without
people that get it anyway, and precision: every label the labeler gives (confidence ≥ 50) is
judged right when the truth names it (present or other), or it follows from what the truth
names (JUDGED_BY), and wrong otherwise; nothing is left unjudged. Last line: JSON.

--fit refits calibration.py's curves (a one-feature logistic regression per kind of
evidence) on the truth, prints them as code, and checks each out of sample: fitted on one
half of the photos (by id), its precision at confidence ≥ 50 measured on the other half.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HERE = Path(__file__).resolve().parent
REAL = Path(os.environ.get("LIKELY_REAL_DATA", HERE.parent.parent / "shared" / "data" / "real"))

#: a label the truth does not name is still right when this holds of the truth's photo
JUDGED_BY = {
    "Head": lambda t: "Face" in t["present"],
    "Photography": lambda t: "Drawing" not in t["present"],
    "Transportation": lambda t: "Vehicle" in t["present"],
    "Tableware": lambda t: bool({"Cup", "Bowl", "Wine Glass", "Fork", "Knife", "Spoon"} & set(t["present"])),
    "Fruit": lambda t: bool({"Banana", "Apple", "Orange"} & set(t["present"])),
    "Bag": lambda t: bool({"Backpack", "Handbag"} & set(t["present"])),
    "Mammal": lambda t: "Animal" in t["present"],
    "Body Part": lambda t: bool({"Hand", "Face"} & set(t["present"])),
}


def right(name: str, truth: dict) -> bool:
    said = {n.lower() for n in truth["present"] + truth["other"]}
    if name.lower() in said:
        return True
    rule = JUDGED_BY.get(name)
    return bool(rule and rule(truth))


def load_posts(photos: Path, limit: int | None) -> list[str]:
    ids = [json.loads(line)["id"] for line in (photos / "posts.jsonl").read_text().splitlines() if line.strip()]
    return ids[:limit] if limit else ids


def label_all(labeler, photos: Path, ids: list[str]) -> tuple[dict, list[float]]:
    out, cpu = {}, []
    for pid in ids:
        data = (photos / "images" / f"{pid}.jpg").read_bytes()
        t = time.process_time()
        out[pid] = labeler.label(data)
        cpu.append(time.process_time() - t)
    return out, cpu


def report(results: dict, cpu: list[float], truth: dict) -> dict:
    counts = [len(r.labels) for r in results.values()]
    person = [pid for pid, r in results.items() if r.get("Person")]
    print(f"{len(results)} photos: labels per photo median {statistics.median(counts):g}, "
          f"mean {statistics.mean(counts):.2f}; no label {sum(c == 0 for c in counts)} "
          f"({sum(c == 0 for c in counts) / len(counts):.1%}); a person label on {len(person)}")
    with_person = [len(results[pid].labels) for pid in person]
    print(f"  on the {len(person)} photos with a person label: labels per photo median "
          f"{statistics.median(with_person or [0]):g}, mean {statistics.mean(with_person or [0]):.2f}")
    print(f"CPU per photo (all threads, decode included): median {statistics.median(cpu) * 1000:.1f} ms, "
          f"p90 {sorted(cpu)[int(0.9 * (len(cpu) - 1))] * 1000:.1f} ms")
    judged = [(pid, lab.name, right(lab.name, truth[pid])) for pid in truth if pid in results
              for lab in results[pid].labels]
    ok = sum(r for _, _, r in judged)
    with_people = [pid for pid in truth if pid in results and truth[pid]["people"] > 0]
    without = [pid for pid in truth if pid in results and truth[pid]["people"] == 0]
    recall = sum(bool(results[p].get("Person")) for p in with_people) / max(1, len(with_people))
    false_person = sum(bool(results[p].get("Person")) for p in without) / max(1, len(without))
    precision = ok / max(1, len(judged))
    print(f"truth ({len(with_people) + len(without)} photos, {len(with_people)} with people): Person on "
          f"{recall:.1%} of those with people, on {false_person:.1%} of those without; "
          f"precision {precision:.3f} ({ok} of {len(judged)} labels right)")
    # What a labeler that said exactly what the truth names as present would score: the
    # ceiling of the label-count figures on this sample for the truth's vocabulary.
    ceiling = [len(truth[pid]["present"]) for pid in truth if pid in results]
    print(f"  the truth itself (its present names only): labels per photo median {statistics.median(ceiling):g}, "
          f"no label {sum(c == 0 for c in ceiling) / max(1, len(ceiling)):.1%}")
    by_name: dict[str, list[bool]] = {}
    for _, name, r in judged:
        by_name.setdefault(name, []).append(r)
    table = sorted(by_name.items(), key=lambda kv: -len(kv[1]))
    print("  label: right/given  " + ", ".join(f"{n} {sum(v)}/{len(v)}" for n, v in table[:30]))
    wrong = [f"{pid}:{name}" for pid, name, r in judged if not r]
    print("  wrong: " + ", ".join(wrong[:40]) + (" ..." if len(wrong) > 40 else ""))
    return {
        "photos": len(results),
        "labels_median": statistics.median(counts),
        "labels_mean": round(statistics.mean(counts), 2),
        "share_no_label": round(sum(c == 0 for c in counts) / len(counts), 3),
        "share_person": round(len(person) / len(results), 3),
        "labels_median_with_person": statistics.median(with_person or [0]),
        "truth_photos": len(with_people) + len(without),
        "person_recall": round(recall, 3),
        "person_false_rate": round(false_person, 3),
        "precision": round(precision, 3),
        "truth_labels_median": statistics.median(ceiling),
        "truth_share_no_label": round(sum(c == 0 for c in ceiling) / max(1, len(ceiling)), 3),
        "judged_labels": len(judged),
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 1),
    }


# ---------------------------------------------------------------------------------- --fit

def logistic_fit(xs: list[float], ys: list[bool]) -> tuple[float, float]:
    """centre, spread of p = 1 / (1 + exp(-(x - centre) / spread)), by Newton's method on the
    log-likelihood (with a weak prior on the slope, so a perfectly separated kind stays finite)."""
    import numpy as np

    x, y = np.asarray(xs, float), np.asarray(ys, float)
    mu, sd = x.mean(), x.std() or 1.0
    z = (x - mu) / sd
    a, b = 0.0, 1.0  # p = sigmoid(a + b z)
    for _ in range(100):
        p = 1 / (1 + np.exp(-np.clip(a + b * z, -60, 60)))
        w = p * (1 - p)
        g = np.array([np.sum(y - p), np.sum((y - p) * z) - 0.01 * b])
        h = np.array([[np.sum(w) + 1e-9, np.sum(w * z)], [np.sum(w * z), np.sum(w * z * z) + 0.01]])
        step = np.linalg.solve(h, g)
        a, b = a + step[0], b + step[1]
        if np.abs(step).max() < 1e-8:
            break
    b = max(b, 1e-3)
    return float(mu - a * sd / b), float(sd / b)


def evidence(labeler, photos: Path, ids: list[str]) -> dict:
    """Each photo's raw detector outputs, the classifier's names and its outdoor share (for --fit)."""
    out = {}
    for pid in ids:
        img = labeler.intake((photos / "images" / f"{pid}.jpg").read_bytes()).image
        probs = labeler.probabilities(labeler.model_input(img)[None])[0]
        out[pid] = (*labeler._detect(img)(), labeler.class_probabilities(probs), labeler.outdoor_evidence(probs))
    return out


def raw_values(ev, truth: dict, broad: set[str]) -> dict[str, list[tuple[str, float, bool]]]:
    """kind → [(photo id, raw value, whether the truth says the label holds)]."""
    from shared.labeling.coco import NAMES
    from shared.labeling.people import clothing_evidence
    from shared.labeling.things import text_evidence

    rows: dict[str, list] = {k: [] for k in ("person", "face", "smile", "object", "text", "poster", "portrait",
                                             "hand", "classifier", "category", "clothing", "outdoors")}
    for pid, t in truth.items():
        objects, text, faces, hands, classes, outdoor = ev[pid]
        for name, p in classes.items():
            rows["category" if name in broad else "classifier"].append((pid, p, right(name, t)))
        persons = [d.score for d in objects if d.kind == "person"]
        has = set(t["present"])
        rows["person"].append((pid, max(persons, default=0.0), "Person" in has))
        rows["face"].append((pid, max((f.score for f in faces), default=0.0), "Face" in has))
        sure = [f for f in faces if f.score >= 0.7]
        if sure:
            rows["smile"].append((pid, max((f.happy or 0.0) for f in sure), "Smile" in has))
            rows["portrait"].append((pid, max(f.width for f in sure), "Portrait" in has))
        for d in objects:
            if d.kind != "person":
                rows["object"].append((pid, d.score, right(NAMES[d.kind][0], t)))
        rows["hand"].append((pid, max(hands, default=0.0), "Hand" in has))
        rows["clothing"].append((pid, clothing_evidence(objects, classes.get("Clothing", 0.0)), "Clothing" in has))
        rows["outdoors"].append((pid, outdoor, "Outdoors" in has))
        x = text_evidence(text)
        if x is not None:
            rows["text"].append((pid, x, "Text" in has))
            rows["poster"].append((pid, x, "Poster" in has))
    return rows


def fit(labeler, photos: Path, truth: dict) -> None:
    ev = evidence(labeler, photos, list(truth))
    rows = raw_values(ev, truth, labeler._broad)
    half = {pid: i % 2 for i, pid in enumerate(sorted(truth))}
    print("CURVES = {")
    for kind, rs in rows.items():
        if len({r[2] for r in rs}) < 2:
            print(f"    # {kind}: only one outcome in the truth, not fitted")
            continue
        c, s = logistic_fit([r[1] for r in rs], [r[2] for r in rs])
        if not math.isfinite(c) or abs(c) > 100:  # no slope: say how often it is right, by value
            bins = [(lo, [r[2] for r in rs if r[1] >= lo]) for lo in (0.2, 0.5, 0.8, 0.9)]
            print(f"    # {kind}: no slope to fit (n={len(rs)}); right from " +
                  ", ".join(f"{lo}: {sum(v)}/{len(v)}" for lo, v in bins) + " -- set by hand")
            continue
        checks = []
        for h in (0, 1):
            train = [r for r in rs if half[r[0]] == h]
            test = [r for r in rs if half[r[0]] != h]
            if len({r[2] for r in train}) < 2:
                continue
            ch, sh = logistic_fit([r[1] for r in train], [r[2] for r in train])
            kept = [r[2] for r in test if r[1] >= ch]
            checks.append(f"{sum(kept)}/{len(kept)} right, {sum(kept)}/{sum(r[2] for r in test)} found")
        print(f'    "{kind}": Curve({c:.3g}, {s:.3g}),  # n={len(rs)}, positives {sum(r[2] for r in rs)}; '
              f"out of sample, at >= 50: {' and '.join(checks)}")
    print("}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=Path, default=REAL / "photos_hashtag2023")
    ap.add_argument("--truth", type=Path, default=HERE / "labeling_truth.json")
    ap.add_argument("--limit", type=int, default=None, help="only the first N photos of posts.jsonl")
    ap.add_argument("--models-dir", type=Path, default=None, help="default: Settings().models_dir")
    ap.add_argument("--fit", action="store_true", help="refit calibration.py's curves on the truth")
    args = ap.parse_args(argv)
    if not (args.photos / "posts.jsonl").exists():
        print(f"no photos at {args.photos} (set LIKELY_REAL_DATA)", file=sys.stderr)
        return 2
    from shared.labeling.offline import OfflineLabeler

    labeler = OfflineLabeler(args.models_dir)
    truth = json.loads(args.truth.read_text())["photos"]
    if args.fit:
        fit(labeler, args.photos, truth)
        return 0
    ids = load_posts(args.photos, args.limit)
    ids += [pid for pid in truth if pid not in ids and not args.limit]
    print(f"labeler {labeler.id}; {len(ids)} photos from {args.photos}")
    results, cpu = label_all(labeler, args.photos, ids)
    out = report(results, cpu, truth)
    out["labeler"] = labeler.id
    out["load_average"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
