"""Bulk import of listings, in rooms: `plans` (plan an import, then apply it), `csv_file` and
`oruk` (reading each kind of file), `fields` (one row's fields read and checked)."""
