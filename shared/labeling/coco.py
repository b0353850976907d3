"""COCO's 80 object classes as Rekognition names them, with their parent labels."""
from __future__ import annotations

VEHICLE = ("Vehicle", "Transportation")
ANIMAL = ("Mammal", "Animal")
FOOD = ("Food",)
FRUIT = ("Fruit", "Food")
TABLEWARE = ("Tableware",)
FURNITURE = ("Furniture",)
ELECTRONICS = ("Electronics",)
APPLIANCE = ("Appliance", "Electronics")
SPORT = ("Sport",)
BAG = ("Bag", "Accessories")

#: COCO class → (name, parents); "person" is handled by the people labels
NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "bicycle": ("Bicycle", VEHICLE), "car": ("Car", VEHICLE), "motorcycle": ("Motorcycle", VEHICLE),
    "airplane": ("Airplane", ("Aircraft", *VEHICLE)), "bus": ("Bus", VEHICLE), "train": ("Train", VEHICLE),
    "truck": ("Truck", VEHICLE), "boat": ("Boat", VEHICLE), "traffic light": ("Traffic Light", ("Light",)),
    "fire hydrant": ("Fire Hydrant", ()), "stop sign": ("Stop Sign", ("Road Sign", "Sign")),
    "parking meter": ("Parking Meter", ()), "bench": ("Bench", FURNITURE),
    "bird": ("Bird", ("Animal",)), "cat": ("Cat", ("Pet", *ANIMAL)), "dog": ("Dog", ("Pet", *ANIMAL)),
    "horse": ("Horse", ANIMAL), "sheep": ("Sheep", ANIMAL), "cow": ("Cattle", ANIMAL),
    "elephant": ("Elephant", ANIMAL), "bear": ("Bear", ANIMAL), "zebra": ("Zebra", ANIMAL),
    "giraffe": ("Giraffe", ANIMAL),
    "backpack": ("Backpack", BAG), "umbrella": ("Umbrella", ()), "handbag": ("Handbag", BAG),
    "tie": ("Tie", ("Accessories", "Clothing")), "suitcase": ("Suitcase", ("Luggage",)),
    "frisbee": ("Frisbee", ("Toy",)), "skis": ("Skis", SPORT), "snowboard": ("Snowboard", SPORT),
    "sports ball": ("Ball", SPORT), "kite": ("Kite", ("Toy",)), "baseball bat": ("Baseball Bat", SPORT),
    "baseball glove": ("Baseball Glove", SPORT), "skateboard": ("Skateboard", SPORT),
    "surfboard": ("Surfboard", SPORT), "tennis racket": ("Tennis Racket", SPORT),
    "bottle": ("Bottle", ()), "wine glass": ("Wine Glass", ("Glass", *TABLEWARE)), "cup": ("Cup", TABLEWARE),
    "fork": ("Fork", ("Cutlery", *TABLEWARE)), "knife": ("Knife", ("Cutlery", *TABLEWARE)),
    "spoon": ("Spoon", ("Cutlery", *TABLEWARE)), "bowl": ("Bowl", TABLEWARE),
    "banana": ("Banana", FRUIT), "apple": ("Apple", FRUIT), "orange": ("Orange", FRUIT),
    "sandwich": ("Sandwich", FOOD), "broccoli": ("Broccoli", ("Vegetable", *FOOD)),
    "carrot": ("Carrot", ("Vegetable", *FOOD)), "hot dog": ("Hot Dog", FOOD), "pizza": ("Pizza", FOOD),
    "donut": ("Donut", ("Dessert", *FOOD)), "cake": ("Cake", ("Dessert", *FOOD)),
    "chair": ("Chair", FURNITURE), "couch": ("Couch", FURNITURE), "potted plant": ("Potted Plant", ("Plant",)),
    "bed": ("Bed", FURNITURE), "dining table": ("Dining Table", ("Table", *FURNITURE)),
    "toilet": ("Toilet", ()), "tv": ("TV", ("Screen", *ELECTRONICS)), "laptop": ("Laptop", ("Computer", *ELECTRONICS)),
    "mouse": ("Mouse", ELECTRONICS), "remote": ("Remote Control", ELECTRONICS),
    "keyboard": ("Keyboard", ELECTRONICS), "cell phone": ("Cell Phone", ("Phone", *ELECTRONICS)),
    "microwave": ("Microwave", APPLIANCE), "oven": ("Oven", APPLIANCE), "toaster": ("Toaster", APPLIANCE),
    "sink": ("Sink", ()), "refrigerator": ("Refrigerator", APPLIANCE), "book": ("Book", ("Publication",)),
    "clock": ("Clock", ()), "vase": ("Vase", ("Pottery",)), "scissors": ("Scissors", ()),
    "teddy bear": ("Teddy Bear", ("Toy",)), "hair drier": ("Hair Drier", APPLIANCE),
    "toothbrush": ("Toothbrush", ()),
}
#: objects that put a photo outdoors / indoors (Outdoors, Indoors labels)
OUTDOOR = frozenset({"car", "bus", "truck", "train", "airplane", "boat", "traffic light", "fire hydrant",
                     "stop sign", "parking meter", "horse", "sheep", "cow", "elephant", "zebra", "giraffe",
                     "kite", "skis", "snowboard", "surfboard"})
INDOOR = frozenset({"couch", "bed", "toilet", "tv", "microwave", "oven", "toaster", "sink", "refrigerator",
                    "dining table"})
