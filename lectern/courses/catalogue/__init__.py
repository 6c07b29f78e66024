"""The catalogue, its category tree and a course's page."""
