"""Administration of academies and users."""
