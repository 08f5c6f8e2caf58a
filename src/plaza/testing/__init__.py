"""Plaza's test kit, shipped as code so every test suite and benchmark builds alike.

* :class:`FakeClock` - time that moves only when told;
* :func:`build_tangle` - a single-node tangle with a funded faucet and a
  coordinator, over any store, ready to take messages.
"""

from plaza.testing.builders import TangleKit, build_tangle
from plaza.testing.clock import FakeClock

__all__ = ["FakeClock", "TangleKit", "build_tangle"]
