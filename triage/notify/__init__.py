"""Outgoing mail and letters: composition, loop protection, the outbox and its senders, the print queue."""
