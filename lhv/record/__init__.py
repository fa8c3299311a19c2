"""The test-run record: results.json, record.html and junit.xml in reports/<run-id>/."""
