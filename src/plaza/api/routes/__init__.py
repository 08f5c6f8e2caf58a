"""The API's routers, one module per resource family; :mod:`plaza.api.app` mounts them."""

from plaza.api.routes import events, ledger, messages

__all__ = ["events", "ledger", "messages"]
