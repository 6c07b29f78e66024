"""Bulk upload of users from a CSV file in Moodle's "Upload users" layout."""
