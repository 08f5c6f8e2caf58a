"""The provider's side of pay-per-call services: the SDK and the agent.

:func:`service` makes a function a paid :class:`Service`; :class:`ProviderAgent`
sells it from a data directory (:class:`ProviderHome`) over a node, with the
small HTTP API of :func:`create_provider_app` for quotes. ``plaza service run``
wires them together.
"""

from __future__ import annotations

from plaza.services.provider.agent import SERVICES_TAG, ProviderAgent
from plaza.services.provider.home import ProviderHome
from plaza.services.provider.http import create_provider_app
from plaza.services.provider.sdk import JobFailed, Service, load_service, service

__all__ = [
    "SERVICES_TAG",
    "JobFailed",
    "ProviderAgent",
    "ProviderHome",
    "Service",
    "create_provider_app",
    "load_service",
    "service",
]
