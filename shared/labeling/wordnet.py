"""A small reader of WordNet 3.0's noun database (Debian `wordnet-base`), build time only.

nltk's reader refuses the Debian copy; the format is simple (wndb(5)): one synset per line,
`offset lex_filenum ss_type w_cnt word lex_id ... p_cnt [ptr_symbol offset pos source/target]...
| gloss`. ImageNet class ids are `n` + the 8-digit noun offset of WordNet 3.0.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATA_NOUN = Path("/usr/share/wordnet/data.noun")


@dataclass(frozen=True)
class Synset:
    offset: str
    words: tuple[str, ...]
    hypernyms: tuple[str, ...]  # offsets, `@` and `@i` pointers, in file order

    @property
    def wnid(self) -> str:
        return "n" + self.offset


def read_nouns(path: Path | str = DATA_NOUN) -> dict[str, Synset]:
    """Every noun synset, keyed by its 8-digit offset."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: install Debian's wordnet-base (make install does)")
    synsets: dict[str, Synset] = {}
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):  # licence header
                continue
            data = line.split(" | ", 1)[0].split()
            offset, w_cnt = data[0], int(data[3], 16)
            words = tuple(data[4 + 2 * i] for i in range(w_cnt))
            i = 4 + 2 * w_cnt
            p_cnt = int(data[i])
            hyper = []
            for k in range(p_cnt):
                sym, target, pos = data[i + 1 + 4 * k: i + 4 + 4 * k]
                if sym in ("@", "@i") and pos == "n":
                    hyper.append(target)
            synsets[offset] = Synset(offset, words, tuple(hyper))
    return synsets


def chain(synsets: dict[str, Synset], offset: str) -> list[str]:
    """Offsets from `offset` (excluded) up to the root, following each synset's first hypernym."""
    out: list[str] = []
    seen = {offset}
    cur = synsets[offset]
    while cur.hypernyms:
        nxt = cur.hypernyms[0]
        if nxt in seen:
            break
        out.append(nxt)
        seen.add(nxt)
        cur = synsets[nxt]
    return out
