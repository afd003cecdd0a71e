"""In-memory adapters: every storage port on one :class:`MemoryDatabase`."""
