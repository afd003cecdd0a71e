"""Telegram chat: the Bot API out; a webhook or long polling in."""
