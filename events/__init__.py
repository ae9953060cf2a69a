"""What happened: event types, their schemas and versions, and the append-only store."""
