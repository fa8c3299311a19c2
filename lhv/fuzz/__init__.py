"""Property-based fuzzing of the contract with schemathesis: the OpenAPI documents, image generators, the runner."""
