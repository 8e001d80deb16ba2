"""Sidebar entries and panels of the activities part (imported by StationsConfig.ready)."""
