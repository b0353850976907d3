""""Outdoors" from what the classifier sees: no scene model ships its weights in a package
(docs/labeling.md), but a thousand ImageNet classes include places (a valley, a seashore, a
pier, a palace) and things met only out of doors (a street sign, a tram, a picket fence). The
share of the classifier's probability on those classes is the evidence; calibration.py turns
it into a confidence like any other.

"Indoors" is not given: the classes of things met indoors (a couch, a desk, a shop's inside)
separated indoor from other photos of the truth too weakly (docs/labeling.md).
"""
from __future__ import annotations

import numpy as np

from .calibration import confidence
from .types import Label

#: ImageNet classes (by their name in the class table) that put a photo out of doors
OUTDOOR_CLASSES = frozenset({
    # landscapes
    "Mountain", "Cliff", "Coral Reef", "Geyser", "Lakeshore", "Promontory", "Sandbar", "Beach", "Valley",
    "Volcano", "Rapeseed", "Daisy", "Ear of Grain", "Hay",
    # buildings and structures seen from outside
    "Lighthouse", "Barn", "Bell Tower", "Boathouse", "Breakwater", "Castle", "Church", "Cliff Dwelling", "Dam",
    "Dock", "Dome", "Fountain", "Greenhouse", "Megalith", "Mobile Home", "Monastery", "Mosque", "Obelisk",
    "Palace", "Patio", "Pier", "Planetarium", "Prison", "Radio Telescope", "Stupa", "Suspension Bridge",
    "Through Arch Bridge", "Thatched Roof", "Tile Roof", "Totem Pole", "Triumphal Arch", "Viaduct",
    "Water Tower", "Yurt", "Tent", "Maze", "Apiary", "Birdhouse", "Solar Thermal Collector",
    # streets, fences and gardens
    "Chain-link Fence", "Picket Fence", "Split-rail Fence", "Stone Wall", "Street Sign", "Traffic Light",
    "Park Bench", "Parking Meter", "Mailbox", "Manhole Cover", "Gas Pump", "Flagpole", "Sundial", "Rain Barrel",
    "Swing", "Lawn Mower", "Carousel",
    # vehicles on the road, on rails, on water and in the air
    "Tram", "Trolleybus", "School Bus", "Minibus", "Taxicab", "Jeep", "Convertible", "Sports Car",
    "Station Wagon", "Pickup Truck", "Tow Truck", "Garbage Truck", "Fire Truck", "Moving Van", "Police Van",
    "Minivan", "Limousine", "Recreational Vehicle", "Semi-trailer Truck", "Tractor", "Motor Scooter", "Moped",
    "Mountain Bike", "Tandem Bicycle", "Go-kart", "Golf Cart", "Race Car", "Car Wheel", "Radiator Grille",
    "Snowmobile", "Snowplow", "Ski", "Kayak", "Motorboat", "Catamaran", "Trimaran", "Schooner", "Yawl",
    "Container Ship", "Ocean Liner", "Fireboat", "Lifeboat", "Gondola", "Shipwreck", "Airliner",
    "Military Aircraft", "Airship", "Balloon", "Parachute", "Steam Locomotive", "Electric Locomotive",
    "High-speed Train", "Freight Car", "Railroad Car", "Horse-drawn Vehicle", "Bullock Cart",
    "Rickshaw Vehicle", "Construction Crane", "Drilling Rig", "Combine Harvester", "Threshing Machine",
    "Farm Plow", "Half-track", "Tank",
    # people at outdoor sport
    "Scuba Diver", "Baseball Player",
})


def outdoor_rows(names: list[str]) -> np.ndarray:
    """The indices of OUTDOOR_CLASSES in the class table's order of names."""
    return np.array([i for i, n in enumerate(names) if n in OUTDOOR_CLASSES], dtype=np.intp)


def outdoor_evidence(probs: np.ndarray, rows: np.ndarray) -> float:
    """What the "outdoors" curve reads: the classifier's probability summed over those classes."""
    return float(probs[rows].sum())


def scene_labels(outdoor: float) -> list[Label]:
    return [Label("Outdoors", confidence("outdoors", outdoor))]
