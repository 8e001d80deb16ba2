"""Sidebar entries and panels of the receptions part (imported by StationsConfig.ready)."""
