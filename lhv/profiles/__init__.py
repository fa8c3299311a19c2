"""Built-in target profiles."""
