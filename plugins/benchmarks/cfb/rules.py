"""The benchmark's fixed rules: optional ("free") calls and the keys that must match exactly.

Free calls are location look-ups the model may skip when it already knows the answer:
:data:`FREE_FUNCTIONS`, plus ``Search_Hotels`` with ``search_type == "hotel"`` (as in
ComplexFuncBench). A gold free call is satisfied by being made or by being skipped.

:data:`EXACT_KEYS` lists, per function, the arguments whose values must equal the gold value
exactly (after type coercion by the schema): identifiers, tokens, dates, coordinates, codes and
the filters that change the answer. Every other argument is compared after value normalisation
(:func:`orchestrl.plugins.rewards.normalize.values_equal`: case, spacing, date and number
formats). A function missing from the table has every argument exact.
"""

from __future__ import annotations

from collections.abc import Mapping

from orchestrl.api import JSON

FREE_FUNCTIONS = frozenset({
    "Search_Hotel_Destination",
    "Search_Attraction_Location",
    "Search_Car_Location",
    "Search_Flight_Location",
    "Taxi_Search_Location",
    "Location_to_Lat_Long",
})

_HOTEL = ("hotel_id",)
_VEHICLE = ("vehicle_id", "search_key")
_STAY = ("arrival_date", "departure_date")

EXACT_KEYS: dict[str, frozenset[str]] = {
    name: frozenset(keys)
    for name, keys in {
        "Booking_Summary": _VEHICLE,
        "Get_Attraction_Details": ("slug",),
        "Get_Availability": ("slug", "date"),
        "Get_Availability_Calendar": ("id",),
        "Get_Description_And_Info": _HOTEL,
        "Get_Filter": ("search_type", "dest_id", *_STAY, "categories_filter"),
        "Get_Flight_Details": ("token",),
        "Get_Hotel_Details": (*_HOTEL, *_STAY),
        "Get_Hotel_Policies": _HOTEL,
        "Get_Hotel_Review_Scores": _HOTEL,
        "Get_Hotel_Reviews_Tips": (*_HOTEL, "sort_option_id"),
        "Get_Hotel_Reviews_Tips__Sort_Option": _HOTEL,
        "Get_Min_Price": ("fromId", "toId", "departDate", "returnDate"),
        "Get_Min_Price_Multi_Stops": ("legs",),
        "Get_Nearby_Cities": ("latitude", "longitude"),
        "Get_Packages": _VEHICLE,
        "Get_Popular_Attraction_Near_By": _HOTEL,
        "Get_Question_And_Answer": _HOTEL,
        "Get_Room_Availability": (*_HOTEL, "min_date", "max_date"),
        "Get_Room_List_With_Availability": (*_HOTEL, *_STAY),
        "Get_Seat_Map": ("offerToken",),
        "Location_to_Lat_Long": (),
        "Payment_features_of_the_Hotel": _HOTEL,
        "Property_Children_Policies": _HOTEL,
        "Search_Attraction_Location": (),
        "Search_Attractions": ("id", "startDate", "endDate"),
        "Search_Car_Location": (),
        "Search_Car_Rentals": ("pick_up_latitude", "pick_up_longitude", "drop_off_latitude",
                               "drop_off_longitude", "pick_up_date", "pick_up_time",
                               "drop_off_date", "drop_off_time"),
        "Search_Flight_Location": (),
        "Search_Flights": ("fromId", "toId", "departDate", "returnDate", "sort"),
        "Search_Flights_Multi_Stops": ("legs", "sort"),
        "Search_Hotel_Destination": (),
        "Search_Hotels": ("search_type", "dest_id", *_STAY, "categories_filter", "sort_by"),
        "Search_Hotels_By_Coordinates": ("latitude", "longitude", *_STAY),
        "Search_Taxi": ("pick_up_place_id", "drop_off_place_id", "pick_up_date",
                        "pick_up_time"),
        "Taxi_Search_Location": (),
        "Vehicle_Details": _VEHICLE,
        "Vehicle_Supplier_Details": _VEHICLE,
        "Vehicle_Supplier_Ratings": _VEHICLE,
        "Vehicle_Supplier_Review": _VEHICLE,
    }.items()
}

UNORDERED_KEYS = frozenset({"categories_filter"})
"""String arguments holding comma-separated sets (their order does not matter)."""


def is_free(function: str, arguments: Mapping[str, JSON]) -> bool:
    """Whether a call is an optional ("free") call of the benchmark."""
    if function in FREE_FUNCTIONS:
        return True
    return function == "Search_Hotels" and arguments.get("search_type") == "hotel"


def exact_keys(function: str, arguments: Mapping[str, JSON]) -> frozenset[str]:
    """The arguments of ``function`` compared exactly (all of them when it is not listed)."""
    found = EXACT_KEYS.get(function)
    return found if found is not None else frozenset(arguments)
