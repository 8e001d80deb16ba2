"""Sidebar entries and panels of the suggestions part (imported by CongressConfig.ready)."""
