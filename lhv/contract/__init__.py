"""The contract: clinical tables, the catalog, intents, dialects, spellings, the score oracle and payload files."""
