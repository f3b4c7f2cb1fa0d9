"""calsync's face: the Textual app and the `calsync` command line."""
