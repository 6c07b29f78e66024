"""Cohorts: groups of an academy's users, their pages and member lists."""
