"""Cassette tests: the real-API code path recorded against the sandbox under the real hostnames."""
