"""The ``plaza`` command line."""
