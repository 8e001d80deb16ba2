"""Models of stations: filled by its issue."""
