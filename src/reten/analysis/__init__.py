"""Analyses of Results: displacement between a baseline and a scenario, seizure accounting."""
