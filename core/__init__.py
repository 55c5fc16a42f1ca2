"""Hromada's platform-free core: services take plain ids and return neutral replies."""
