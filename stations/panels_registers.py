"""Sidebar entries and panels of the registers part (imported by StationsConfig.ready)."""
