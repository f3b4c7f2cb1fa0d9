"""The fake Pipedrive: API v1/v2, its OAuth server, rate limits, seeding."""
