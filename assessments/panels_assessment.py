"""Sidebar entries, panels and jobs of the assessment part (imported by AssessmentsConfig.ready)."""
