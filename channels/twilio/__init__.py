"""SMS through Twilio: the REST API out; inbound messages and status callbacks in."""
