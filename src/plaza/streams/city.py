"""A city of simulated sensors in one process: air quality, noise, parking and traffic
around a centre, for demos and the map (``plaza sensor city``).

Sensors are placed on a spiral around the centre (about 300 m apart), named by their
profile and number (``air-01``, ``noise-02``...), priced by profile, each with its own
data directory under one folder and its own agent loop on a thread; a restart on the same
folder brings back the same sensors, channels and cursors.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from pathlib import Path

from plaza.clock import Clock
from plaza.streams.announcement import STREAMS_TAG
from plaza.streams.sensor import SensorAgent, SensorConfig, SensorHome, SensorLedger
from plaza.streams.terms import Terms

__all__ = ["PROFILE_TERMS", "City", "city_configs"]

#: What each kind of city sensor charges: base units per hour, at least ten minutes.
PROFILE_TERMS = {
    "air": Terms(600, 3_600_000, 600_000),
    "noise": Terms(300, 3_600_000, 600_000),
    "parking": Terms(900, 3_600_000, 600_000),
    "traffic": Terms(1200, 3_600_000, 600_000),
}
_PROFILES = tuple(PROFILE_TERMS)
_STEP_KM = 0.3


def city_configs(
    count: int,
    latitude: float,
    longitude: float,
    *,
    interval_s: float = 20.0,
    directory: bytes = STREAMS_TAG,
    owner: str = "",
) -> list[SensorConfig]:
    """``count`` sensors on a spiral around (``latitude``, ``longitude``), profiles in turn."""
    configs = []
    for index in range(count):
        profile = _PROFILES[index % len(_PROFILES)]
        angle, distance = index * 2.4, _STEP_KM * math.sqrt(index + 1)  # a sunflower spiral
        lat = latitude + distance * math.cos(angle) / 111.0
        lon = longitude + distance * math.sin(angle) / (111.0 * math.cos(math.radians(latitude)))
        name = f"{profile}-{index + 1:02d}"
        place = (round(lat, 6), round(lon, 6))
        described = f"Simulated {profile} sensor {index + 1} of the city"
        configs.append(
            SensorConfig(
                name,
                *place,
                PROFILE_TERMS[profile],
                description=described,
                profile=profile,
                seed=index,
                interval_s=interval_s,
                directory=directory,
                owner=owner,
            )
        )
    return configs


@dataclass
class City:
    """Running sensors: one agent loop each, stopped together."""

    agents: list[SensorAgent]
    stop: threading.Event
    threads: list[threading.Thread]

    @classmethod
    def start(
        cls,
        folder: Path,
        gateway: SensorLedger,
        configs: list[SensorConfig],
        *,
        clock: Clock,
        market_url: str | None = None,
    ) -> City:
        """Open every sensor under ``folder`` and start its loop."""
        stop, agents = threading.Event(), []
        try:
            for config in configs:
                home = SensorHome(folder / config.name)
                opened = SensorAgent.open(home, gateway, config, clock=clock, market_url=market_url)
                agents.append(opened)
        except BaseException:
            for agent in agents:
                agent.close()
            raise
        threads = [
            threading.Thread(target=agent.run, args=(stop,), name=agent.config.name, daemon=True)
            for agent in agents
        ]
        for thread in threads:
            thread.start()
        return cls(agents, stop, threads)

    def close(self) -> None:
        """Stop every loop, wait for it, and close the sensors."""
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=30)
        for agent in self.agents:
            agent.close()
