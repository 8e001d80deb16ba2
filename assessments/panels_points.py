"""Sidebar entries, panels and jobs of the points part (imported by AssessmentsConfig.ready)."""
