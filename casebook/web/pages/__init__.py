"""The staff pages: log an event, cases and their timelines, voids, the dashboard and the event log."""
