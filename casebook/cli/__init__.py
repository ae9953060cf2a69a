"""casebook/cli."""
