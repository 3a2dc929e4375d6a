"""The crmsync store: schema, migrations and repositories used by every stage."""
