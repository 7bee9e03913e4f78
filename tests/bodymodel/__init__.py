"""An independent motion model of the drills (written apart from ``firmware_bridge.simulator``).

It shares no code and no assumption with the simulator or the detectors: its own segment
kinematics (a foot pivoting on the forefoot, a shank leaning on the ankle, a foot turning about an
oblique subtalar-like axis in long sitting), its own sensor model (any strapping, noise, bias,
scale error) and its own truth. Recordings leave it only as generic CSV files, imported and
analysed through the command line as a user would (see ``tests/trainer/drills/test_bodymodel.py``).
"""
