"""Catalogue, course content and uploads, packages, enrolment and completion."""
