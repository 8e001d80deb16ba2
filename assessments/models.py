"""Models of assessments: filled by its issue."""
