"""Telco assets (issue 14): cell sites, small cells, drone cells, fibre, spectrum and edge
compute rented by the hour window, on the one marketplace.

The pure domain is :mod:`~plaza.telco.assets` (types and their attributes),
:mod:`~plaza.telco.kind` (the market's kinds), :mod:`~plaza.telco.terms` (offers,
requests and the manual search) and :mod:`~plaza.telco.orders` (a product order's
states and payment outcomes); the TM Forum shaped API over the market is
:mod:`plaza.verticals.telco`. ``docs/telco.md`` says how it fits together.
"""
