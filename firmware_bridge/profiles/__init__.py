"""Device profiles: one module per supported sensor family, all behind :class:`DeviceProfile`.

``PROFILES`` maps profile names to classes; ``match_profile`` picks one from an advertisement;
``make_profile`` builds one by name with a rate, raising :class:`ProfileError` with a one-line
reason for unknown names or unsupported rates.
"""

from __future__ import annotations

from firmware_bridge.profiles.base import (
    Advertisement,
    DecodeOutput,
    Decoder,
    DecoderStats,
    DeviceProfile,
    GattIO,
    ProfileError,
)
from firmware_bridge.profiles.metawear import MetaWearProfile
from firmware_bridge.profiles.reference import ReferenceProfile
from firmware_bridge.profiles.thingy52 import Thingy52Profile
from firmware_bridge.profiles.witmotion import WitMotionProfile

PROFILES: dict[str, type[DeviceProfile]] = {
    p.name: p for p in (WitMotionProfile, MetaWearProfile, Thingy52Profile, ReferenceProfile)
}


def match_profile(adv: Advertisement) -> type[DeviceProfile] | None:
    """The profile whose service UUID or advertised name matches, else None."""
    for cls in PROFILES.values():
        if cls.matches(adv):
            return cls
    return None


def make_profile(name: str, rate_hz: float | None = None) -> DeviceProfile:
    try:
        cls = PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ProfileError(f"unknown device profile {name!r} (known: {known})") from None
    return cls(rate_hz)


__all__ = [
    "PROFILES",
    "Advertisement",
    "DecodeOutput",
    "Decoder",
    "DecoderStats",
    "DeviceProfile",
    "GattIO",
    "MetaWearProfile",
    "ProfileError",
    "ReferenceProfile",
    "Thingy52Profile",
    "WitMotionProfile",
    "make_profile",
    "match_profile",
]
