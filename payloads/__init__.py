"""The payload files: request cases as data, one JSON file each (installed as lhv.payload_files)."""
