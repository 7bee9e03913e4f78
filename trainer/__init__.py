"""Ankle balance and proprioception trainer."""

__version__ = "0.1.0"
