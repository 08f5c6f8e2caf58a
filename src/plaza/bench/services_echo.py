"""The service ``plaza bench services`` sells: ``plaza service run
plaza.bench.services_echo:echo``, as small a job as a call can carry, so the
figures are the call's path (quote, hold, result, release), not the work."""

from __future__ import annotations

from typing import Any

from plaza.services.provider import service

__all__ = ["echo"]


@service(
    name="bench-echo",
    title="Benchmark echo",
    price=1,
    input_schema={"type": "object", "required": ["n"]},
    time_to_result_s=2,
    concurrency=64,
)
def echo(job: dict[str, Any]) -> dict[str, Any]:
    """The input back, with its square: proof the job ran on this very input."""
    return {"n": job["n"], "square": job["n"] * job["n"]}
