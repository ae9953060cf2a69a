"""casebook/web/api."""
