"""A mock BlueZ (python-dbusmock template with GATT) for testing bleak's real BlueZ backend."""

from tests.mockbluez.controller import MockBluez, MockDevice, StreamState, wait_until
from tests.mockbluez.devices import SPECS, DeviceSpec, Stream, make_stream

__all__ = ["SPECS", "DeviceSpec", "MockBluez", "MockDevice", "Stream", "StreamState",
           "make_stream", "wait_until"]
