"""Everything that talks to sensors: device profiles, BLE source, simulator, link statistics."""
