"""Fake Google Calendar v3: state, routes, batch endpoint, seeding."""
