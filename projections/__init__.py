"""What it adds up to: read models, the figure engine and summaries (no Flask here)."""
