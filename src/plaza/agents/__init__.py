"""Agents: programs that act on the marketplace from outside it, as a participant would.

Device agents and simulators live here, one sub-package per vertical
(:mod:`plaza.agents.energy`). They reach the marketplace only through its wire
(a vertical's letters, the market's API) and its domain values; the marketplace
never imports them. A vertical lists its agents (``Vertical.agents``) and the
demo starts them.
"""
