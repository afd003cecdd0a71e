"""Email: SMTP out; an SMTP listener, an IMAP poller and the unsubscribe page in."""
