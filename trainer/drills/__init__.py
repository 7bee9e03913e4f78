"""Guided drills: catalog (data), detectors, cues, safety, progression, reports."""
