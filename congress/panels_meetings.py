"""Sidebar entries and panels of the meetings part (imported by CongressConfig.ready)."""
