"""The ``balance-trainer`` command line (contract in DESIGN.md)."""
