"""The three services ``plaza demo`` sells per call: small pure-Python functions.

A forecast for a place, a route between two places and a thumbnail of a small grey
image. They compute something real from their input and nothing else (no network, no
files), so the demo runs offline. The route knows no road to Svalbard: a call for one
fails, and the customer is refunded with that reason, which is how the demo shows refunds.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

from plaza.services.provider import JobFailed, Service, service

__all__ = ["PLACES", "SERVICES", "forecast", "route", "thumbnail"]

#: Places the services know, (latitude, longitude); Longyearbyen is on Svalbard.
PLACES = {
    "Trondheim": (63.4305, 10.3951),
    "Oslo": (59.9139, 10.7522),
    "Bergen": (60.3913, 5.3221),
    "Bodø": (67.2804, 14.4049),
    "Longyearbyen": (78.2232, 15.6267),
}
_NO_ROAD = frozenset({"Longyearbyen"})
_PLACE = {"type": "string", "enum": sorted(PLACES)}
_SKIES = ("sun", "clouds", "rain", "snow", "fog", "wind")


@service(
    name="forecast",
    title="Weather forecast",
    price=20,
    input_schema={
        "type": "object",
        "properties": {"place": _PLACE, "day": {"type": "integer", "minimum": 0}},
        "required": ["place"],
    },
    time_to_result_s=5,
)
def forecast(job: dict[str, Any]) -> dict[str, Any]:
    """A day's weather for a place: the same answer for the same place and day."""
    place, day = job["place"], int(job.get("day", 0))
    digest = hashlib.sha256(f"{place}/{day}".encode()).digest()
    latitude = PLACES[place][0]
    high = round(24 - (latitude - 58) * 0.9 + digest[0] % 9 - 4)
    return {"place": place, "day": day, "sky": _SKIES[digest[1] % 6], "max_c": high}


@service(
    name="route",
    title="Route between two places",
    price=35,
    input_schema={
        "type": "object",
        "properties": {"from": _PLACE, "to": _PLACE},
        "required": ["from", "to"],
    },
    time_to_result_s=5,
)
def route(job: dict[str, Any]) -> dict[str, Any]:
    """The distance by road (a third over the great circle) and a drive at 70 km/h."""
    start, end = job["from"], job["to"]
    if {start, end} & _NO_ROAD and start != end:
        raise JobFailed(f"no road between {start} and {end}")
    km = round(_great_circle_km(PLACES[start], PLACES[end]) * 1.3, 1)
    return {"from": start, "to": end, "km": km, "hours": round(km / 70, 2)}


def _great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


@service(
    name="thumbnail",
    title="Image thumbnail",
    price=10,
    input_schema={
        "type": "object",
        "properties": {"pixels": {"type": "array"}, "factor": {"type": "integer", "minimum": 1}},
        "required": ["pixels"],
    },
    max_input_bytes=16_384,
    time_to_result_s=5,
)
def thumbnail(job: dict[str, Any]) -> dict[str, Any]:
    """A grey image (rows of 0-255) shrunk by ``factor`` (2 by default): block means."""
    pixels: list[list[int]] = job["pixels"]
    factor = int(job.get("factor", 2))
    if not pixels or any(len(row) != len(pixels[0]) for row in pixels):
        raise JobFailed("the image must be rows of equal length")
    rows, columns = len(pixels) // factor, len(pixels[0]) // factor
    small = [
        [
            round(
                sum(
                    pixels[r * factor + i][c * factor + j]
                    for i in range(factor)
                    for j in range(factor)
                )
                / factor**2
            )
            for c in range(columns)
        ]
        for r in range(rows)
    ]
    return {"width": columns, "height": rows, "pixels": small}


SERVICES: tuple[Service, ...] = (forecast, route, thumbnail)
