"""Sidebar entries and panels of the compliance part (imported by StationsConfig.ready)."""
