"""The named checks plans and engines judge replies and stored credentials with."""
