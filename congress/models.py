"""Models of congress: filled by its issue."""
