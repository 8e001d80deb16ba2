"""Sidebar entries and panels of the roster part (imported by StationsConfig.ready)."""
