"""casebook/services."""
