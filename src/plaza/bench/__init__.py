"""Benchmarks: commands that print measured figures, each against a baseline of the same run."""
