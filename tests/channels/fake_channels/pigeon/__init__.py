"""Carrier pigeons: an SMS stand-in with a webhook and a receiver, for the registry tests."""
