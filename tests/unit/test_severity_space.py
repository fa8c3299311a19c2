"""The hypothesis space of severity requests: valid ones break no rule, broken ones break exactly the named one.

Judged with the reference device's own rule and image modules (pure logic), in the plan dialect's locations.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhv.contract.dialects import dialect_named
from lhv.contract.intents import Image
from lhv.contract.payloads import IMAGES_DIR
from lhv.device.clinical.imaging import ImageRejected, decode_media
from lhv.device.clinical.validation import SeverityRequest as RuleRequest
from lhv.device.clinical.validation import validate_severity_request
from lhv.fuzz.severity_space import BREAKAGES, ZONED, broken_requests, describe, valid_requests

PLAN = dialect_named("plan")
IMAGES = tuple(Image.from_file(IMAGES_DIR / name) for name in ("psoriasis.jpg", "urticaria.png"))
IMAGE_BREAKAGES = {"image data not standard base64", "base64 of something that is no image",
                   "content type not the image's"}


def rule_errors(request):
    rules = RuleRequest(request.condition_code, request.body_site, request.systems, request.answers)
    return validate_severity_request(rules, {})


def image_refused(image) -> bool:
    try:
        decode_media(image.content_type, image.data)
    except ImageRejected:
        return True
    return False


@settings(max_examples=150, deadline=None)
@given(valid_requests(IMAGES))
def test_valid_requests_break_no_rule(example):
    assert rule_errors(example.request) == [], describe(example.request)
    assert not image_refused(example.request.image)


@settings(max_examples=60, deadline=None)
@given(valid_requests(IMAGES, ZONED))
def test_zone_weighted_requests_have_a_site_and_only_zoned_systems(example):
    assert example.request.body_site is not None and set(example.request.systems) <= set(ZONED)


@settings(max_examples=300, deadline=None)
@given(broken_requests(IMAGES))
def test_a_broken_request_breaks_exactly_the_named_field(example):
    request = example.request
    if example.breakage in IMAGE_BREAKAGES:
        assert rule_errors(request) == [] and image_refused(request.image), repr(example)
        return
    errors = rule_errors(request)
    where = PLAN.field_loc("assess_severity", example.field, request)
    assert len(errors) == 1, (repr(example), errors)
    assert tuple(errors[0]["loc"][:len(where)]) == where, (repr(example), errors, where)


@pytest.mark.parametrize("breakage", BREAKAGES, ids=[b.name for b in BREAKAGES])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_each_breakage_applies_and_names_a_field(breakage, data):
    base = data.draw(valid_requests(IMAGES).filter(lambda example: breakage.applies(example.request))).request
    request, field = breakage.apply(data.draw, base)
    assert request != base and PLAN.field_loc("assess_severity", field, request)


@settings(max_examples=20, deadline=None)
@given(broken_requests(IMAGES))
def test_examples_show_no_image_data(example):
    assert all(image.data[:40] not in repr(example) for image in IMAGES)
