"""People labels from the object detector's person boxes and the face detector's faces.

Rekognition-style names: "Person"; "People" (two or more), "Group" (three or more), "Crowd"
(ten or more); "Face" and "Head" for a face that can be seen; "Smile" on a confident smiling
face; "Portrait" when one face is large in the frame; "Clothing" on a photo with a person,
from the person box's score and the classifier's garments (the box's height alone was right
61% of the time whatever the height). Every confidence comes from calibration's curves. A
face found without a person box still makes a "Person".
"""
from __future__ import annotations

from .calibration import confidence
from .faces import Face
from .objects import Detection
from .types import Label

KEEP = 50.0  # a person or a face counts towards People/Group/Crowd from this confidence
FACE = ("Head", "Person")
# A face counts where a person box (NanoDet score >= BODY_SCORE) holds its centre. On the truth
# photos, 20 of 22 such faces scoring over 0.7 were faces; of the 10 faces scoring over 0.5
# outside any person box (a flower, a cup, a logo), 1 was: their confidence is scaled by this.
BODY_SCORE = 0.3
LONE_FACE = 0.1


def _nth(confs: list[float], n: int) -> float | None:
    return confs[n - 1] if len(confs) >= n else None


def animal_discount(animal: float) -> float:
    """What a person, face or hand confidence is scaled by when the classifier is confident
    the photo shows an animal (`animal`: its probability): a cat's face and paws pass for a
    person's now and then."""
    return 1.0 - animal if animal >= 0.5 else 1.0


def clothing_evidence(objects: list[Detection], clothing: float) -> float:
    """What the "clothing" curve reads: NanoDet's best person score plus the classifier's
    probability on clothing classes (a person in a photo is nearly always dressed; the
    classifier adds a garment it sees, on a person or not)."""
    return max((d.score for d in objects if d.kind == "person"), default=0.0) + clothing


def people_labels(objects: list[Detection], faces: list[Face], animal: float = 0.0,
                  clothing: float = 0.0) -> list[Label]:
    """`animal`: the classifier's probability that the photo's subject is an animal. Both
    detectors take a cat's or a dog's face for a person's now and then (NanoDet scored
    skimage's cat 0.59 "person", BlazeFace 0.80 "face"); a confident classifier outweighs
    them, so every person and face confidence is scaled by 1 - animal when animal >= 0.5.
    `clothing`: the classifier's probability summed over its clothing classes."""
    discount = animal_discount(animal)
    persons = [d for d in objects if d.kind == "person"]
    bodies = [d.box for d in persons if d.score >= BODY_SCORE]

    def face_conf(f: Face) -> float:
        cx, cy = (f.box[0] + f.box[2]) / 2, (f.box[1] + f.box[3]) / 2
        on_body = any(b[0] <= cx <= b[2] and b[1] <= cy <= b[3] for b in bodies)
        return discount * confidence("face", f.score) * (1.0 if on_body else LONE_FACE)

    person_confs = sorted((discount * confidence("person", d.score) for d in persons), reverse=True)
    scored = [(f, face_conf(f)) for f in faces]
    face_confs = sorted((c for _, c in scored), reverse=True)
    best = max(person_confs[:1] + face_confs[:1], default=0.0)
    if best < KEEP:
        return []
    dressed = discount * confidence("clothing", clothing_evidence(objects, clothing))
    out = [Label("Person", best), Label("Clothing", dressed)]
    # counting: the larger of confident persons and confident faces (a face may have no box)
    counted = max([c for c in person_confs if c >= KEEP], [c for c in face_confs if c >= KEEP], key=len)
    for n, name, parents in ((2, "People", ("Person",)), (3, "Group", ("People", "Person")),
                             (10, "Crowd", ("People", "Person"))):
        c = _nth(counted, n)
        if c is not None:
            out.append(Label(name, c, parents))
    if face_confs and face_confs[0] >= KEEP:
        out += [Label("Face", face_confs[0], FACE), Label("Head", face_confs[0], ("Person",))]
        clear = [(f, c) for f, c in scored if c >= KEEP]
        smiles = [min(confidence("smile", f.happy), c) for f, c in clear if f.happy is not None]
        if smiles and max(smiles) > 0:
            out.append(Label("Smile", max(smiles), ("Face", *FACE)))
        widest = max((f for f, _ in clear), key=lambda f: f.width)
        out.append(Label("Portrait", min(confidence("portrait", widest.width), face_confs[0]),
                         ("Photography", "Face", *FACE)))
    return out
