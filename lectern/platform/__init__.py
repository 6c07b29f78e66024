"""Academies, users, authentication, roles and their administration."""
