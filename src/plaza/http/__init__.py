"""HTTP helpers shared by Plaza's servers (the node and market APIs, the energy modules).

Below both :mod:`plaza.api` and :mod:`plaza.energy`, so neither imports the other
to share them: :func:`~plaza.http.bodies.read_limited` reads a request body with
a ceiling.
"""
