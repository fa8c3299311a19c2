"""The contract's rules every dialect shares (CONTRACT.md §1, §5–§7), as the device's own checks.

Images are judged by the device's decoder (lhv/device/clinical/imaging.py), severity requests
by its rules (lhv/device/clinical/validation.py); what a dialect reader found decides only
where the errors point. Errors come out as the device would report them: FastAPI-style dicts.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from lhv.contract.tables import CONTENT_TYPES, DIAGNOSIS_MAX_IMAGES, DIAGNOSIS_MIN_IMAGES
from lhv.device.clinical.imaging import ImageRejected, decode_base64, decode_media, sniff_type
from lhv.device.clinical.shape_common import elide
from lhv.device.clinical.validation import ErrorDict, validate_severity_request
from lhv.device.settings import DeviceSettings
from lhv.lint.readers import MediaEntry, Reading

# CONTRACT.md §1: a larger body gets 413 (the reference device's default, which is the contract's number).
MAX_BODY_BYTES: int = next(f.default for f in fields(DeviceSettings) if f.name == "max_body_bytes")


def contract_errors(reading: Reading, body: Any) -> list[ErrorDict]:
    """Every error the contract's shared rules find in a read body, after the dialect's shape errors."""
    errors = list(reading.errors)
    errors += _count_errors(reading)
    for entry in reading.media:
        errors += image_errors(entry)
    if reading.severity is not None:
        found = validate_severity_request(reading.severity, elide(body), loc_for=reading.severity_loc_for)
        errors += reading.rule_errors(found) if reading.rule_errors else found
    return _unique(errors)


def image_errors(entry: MediaEntry) -> list[ErrorDict]:
    """The device's verdict on one image: standard base64 of a JPEG or PNG of the declared type."""
    try:
        if entry.content_type in CONTENT_TYPES:
            decode_media(entry.content_type, entry.data)
        else:  # the shape error names the content type; the data can still be judged on its own
            raw = decode_base64(entry.data)
            if sniff_type(raw) is None:
                raise ImageRejected("not_an_image", "The data is base64 but not of a JPEG or PNG image")
    except ImageRejected as rejection:
        loc = entry.type_loc if rejection.field == "contentType" else entry.data_loc
        return [{"type": "value_error", "loc": list(loc), "msg": rejection.message,
                 "ctx": {"reason": rejection.reason_code}}]
    return []


def image_kind(entry: MediaEntry) -> str | None:
    """The type an image's bytes show (image/jpeg, image/png), or None when they are no readable image."""
    try:
        return sniff_type(decode_base64(entry.data))
    except ImageRejected:
        return None


def _count_errors(reading: Reading) -> list[ErrorDict]:
    count = reading.image_count
    if reading.operation != "diagnose" or count is None:
        return []
    loc = list(reading.images_loc)
    if count < DIAGNOSIS_MIN_IMAGES:
        return [{"type": "too_short", "loc": loc,
                 "msg": f"List should have at least {DIAGNOSIS_MIN_IMAGES} item after validation, not {count}",
                 "ctx": {"field_type": "List", "min_length": DIAGNOSIS_MIN_IMAGES, "actual_length": count}}]
    if count > DIAGNOSIS_MAX_IMAGES:
        return [{"type": "too_long", "loc": loc,
                 "msg": f"List should have at most {DIAGNOSIS_MAX_IMAGES} items after validation, not {count}",
                 "ctx": {"field_type": "List", "max_length": DIAGNOSIS_MAX_IMAGES, "actual_length": count}}]
    return []


def _unique(errors: list[ErrorDict]) -> list[ErrorDict]:
    """The errors without repeats of one type at one place (a dialect's shape may already count images)."""
    seen, kept = set(), []
    for error in errors:
        key = (error.get("type"), tuple(error.get("loc") or ()))
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept
