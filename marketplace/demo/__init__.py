"""`flask --app wsgi demo load`: a demo tenant, real CQC providers and demo people.

The fictional providers, their listings and the demo people are data, in data/demo/demo.toml.

Everything made here has is_demo=True and obviously demo names and emails. Loading twice changes
nothing: every row is looked up by its natural key (tenant name, email, CQC location id, demo
provider legal name, listing title) and only made when missing. Demo search events (which name
no person and have no is_demo; their tenant is the demo council, or none) name the engine
"demo" and are made only when there are none.

Rooms: `services` (load_demo: the demo tenants, then each room's rows), `cqc` (real providers),
`records` (the data file read), `fictional` (its providers and people made into rows),
`searches` (seeded search events), `report` (what a load did), `cli` (the command, which also
fills the search index).
"""
