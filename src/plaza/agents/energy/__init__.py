"""The energy vertical's agents: simulated devices, their profiles, and the market simulation.

* :mod:`.profiles`: plausible daily energy profiles in 15-minute slots (solar
  panel, charging station, electric vehicle, heat pump);
* :mod:`.devices`: :class:`~.devices.DeviceSimulator` posts a profile's readings
  to asset modules as their meters would, :class:`~.devices.MeterPublisher` and
  :class:`~.devices.MeterBridge` carry them over MQTT;
* :mod:`.simulate`: thousands of agents trading on the market's matching engine
  in this process (``plaza simulate energy``).
"""
