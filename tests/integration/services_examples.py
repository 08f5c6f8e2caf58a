"""Services the pay-per-call tests sell: in process, and through ``plaza service run``."""

from __future__ import annotations

import time
from typing import Any

from plaza.services.provider import JobFailed, service

SCHEMA = {"type": "object", "properties": {"place": {"type": "string"}}, "required": ["place"]}


@service(
    name="forecast",
    title="Weather forecast",
    price=25,
    input_schema=SCHEMA,
    time_to_result_s=3,
    concurrency=2,
)
def forecast(job: dict[str, Any]) -> dict[str, Any]:
    """Tomorrow's weather for a place; Atlantis has none."""
    if job.get("place") == "Atlantis":
        raise JobFailed("no forecast for Atlantis")
    return {"place": job["place"], "forecast": "sun", "max_c": 21}


@service(name="slow-forecast", title="A slow forecast", price=30, time_to_result_s=6)
def slow_forecast(job: dict[str, Any]) -> dict[str, Any]:
    """Takes its time: long enough to kill the provider while it runs."""
    time.sleep(float(job.get("seconds", 2.0)))
    return {"place": job.get("place"), "forecast": "rain"}
