"""Tests of the Textual app: snapshots of every screen and dialog, and pilot flows."""
