"""The node's HTTP API: a FastAPI app over a :class:`~plaza.node.NodeRuntime`.

``create_app(runtime)`` builds it; ``plaza.clients.node.NodeClient`` speaks to it.
Routes live in :mod:`plaza.api.routes`, wire shapes in :mod:`plaza.api.schemas`,
and the single error-to-status table in :mod:`plaza.api.errors`.
"""

from plaza.api.app import API_PREFIX, create_app
from plaza.api.deps import ApiConfig
from plaza.api.errors import STATUS_BY_ERROR, status_for

__all__ = ["API_PREFIX", "STATUS_BY_ERROR", "ApiConfig", "create_app", "status_for"]
