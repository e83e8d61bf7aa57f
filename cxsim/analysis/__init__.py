"""Analyses on top of the engine: comparisons, sensitivity, calibration."""
