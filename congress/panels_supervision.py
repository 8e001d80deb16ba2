"""Sidebar entries and panels of the supervision part (imported by CongressConfig.ready)."""
