"""Sidebar entries, panels and jobs of the stars part (imported by AssessmentsConfig.ready)."""
