"""Sidebar entries and panels of the livelihood part (imported by CongressConfig.ready)."""
