"""Telco assets (issue 14): cell sites, small cells, drone cells, fibre, spectrum and edge
compute rented by the hour window, on the one marketplace.

The pure domain is :mod:`~plaza.telco.assets` (types and their attributes),
:mod:`~plaza.telco.kind` (the market's kinds), :mod:`~plaza.telco.terms` (offers,
requests and the manual search) and :mod:`~plaza.telco.orders` (a product order's
states and payment outcomes), with :mod:`~plaza.telco.access` (the orchestrator's
access list); the TM Forum shaped API over the market is :mod:`plaza.verticals.telco`;
``plaza telco orchestrator`` is :mod:`~plaza.telco.orchestrator` (over HTTP, told by the
order hub) and :mod:`~plaza.telco.commands`. ``docs/telco.md`` says how it fits together.
"""
