"""Sidebar entries and panels of the public part (imported by StationsConfig.ready)."""
