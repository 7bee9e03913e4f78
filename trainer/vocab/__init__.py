"""The shared vocabulary at the bottom of every layer: what sources, calibration, core, drills,
recording, the training session and the front ends all speak.

- ``trainer.vocab.batch`` — :class:`SampleBatch`, the unit of data every source yields.
- ``trainer.vocab.source`` — the :class:`Source` protocol, ``SourceInfo``, ``SourceStatus`` and the
  thread-safe ``BatchBuffer``.
- ``trainer.vocab.calibration`` — the calibration profile (contract) and how it applies to samples.
- ``trainer.vocab.ids`` — drill ids (contract), sides and placements.
- ``trainer.vocab.roles`` — sensor roles of a multi-sensor session (left-shank, …, trunk).

This package imports nothing above it (import-linter ``layers`` contract in pyproject.toml). The
``__init__`` stays import-free so ``--help`` and the id lists cost nothing to import.
"""
