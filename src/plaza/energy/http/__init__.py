"""The energy modules over HTTP: the seed's endpoints, each answering ``{success, error}``."""
