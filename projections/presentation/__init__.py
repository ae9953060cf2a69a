"""projections/presentation."""
