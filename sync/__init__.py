"""calsync's sync engine: models, mapping, planner, store and (on top of them) the API clients and runner."""
