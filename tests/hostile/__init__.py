"""Hostile inputs, shared by the tests and the proof scripts: malformed provider posts and
API bodies, forged signatures (``requests``), hostile CSV files (``csv_files``)."""
