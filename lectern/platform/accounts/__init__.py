"""Signing in and out, sessions kept on the server, password and profile."""
