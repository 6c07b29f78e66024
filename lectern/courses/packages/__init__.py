"""Course packages: the zip format, its manifest and checks, import and export."""
