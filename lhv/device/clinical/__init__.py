"""The reference device's clinical domain: image decoding, the stand-in AI, scoring and request validation."""
