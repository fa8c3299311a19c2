"""Requests of the contract's space for fuzzing (lhv.fuzz.contract): valid ones say what they ask, broken ones how."""

from __future__ import annotations

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lhv.contract.dialects import dialect_named
from lhv.contract.payloads import IMAGES_DIR
from lhv.fuzz.contract import (
    ASSESS,
    DIAGNOSE,
    DIAGNOSIS_BREAKAGES,
    MAX_IMAGES,
    broken_contract_requests,
    contract_bodies,
)
from lhv.fuzz.images import image_paths, load_images

IMAGES = load_images(IMAGES_DIR)
DIALECTS = ("plan", "v2")
FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.mark.parametrize("dialect", DIALECTS)
@given(data=st.data())
@FAST
def test_valid_diagnosis_requests_carry_one_to_five_images(dialect, data):
    request = data.draw(contract_bodies(dialect_named(dialect), IMAGES)[DIAGNOSE])
    assert request.intent == DIAGNOSE and request.breakage is None
    assert 1 <= len(image_paths(request.body)) <= MAX_IMAGES
    assert dialect_named(dialect).subject_of(request.body) == "fuzz-subject"


@pytest.mark.parametrize("dialect", DIALECTS)
@given(data=st.data())
@FAST
def test_valid_severity_requests_read_back_as_the_request_they_were_built_from(dialect, data):
    chosen = dialect_named(dialect)
    request = data.draw(contract_bodies(chosen, IMAGES)[ASSESS])
    back = chosen.severity_request_of(request.body)
    asked = request.severity
    assert (back.body_site, set(back.systems), back.condition_code) == \
        (asked.body_site, set(asked.systems), asked.condition_code)
    assert {system: dict(items) for system, items in back.answers.items()} == \
        {system: dict(items) for system, items in asked.answers.items()}
    assert base64.b64decode(back.image.data) in {image.raw for image in IMAGES}  # a real image, not a stand-in


@pytest.mark.parametrize("dialect", DIALECTS)
@given(data=st.data())
@FAST
def test_broken_requests_name_their_breakage_and_field(dialect, data):
    chosen = dialect_named(dialect)
    for intent, strategy in broken_contract_requests(chosen, IMAGES).items():
        request = data.draw(strategy)
        assert request.intent == intent and request.breakage and request.field is not None
        assert chosen.field_loc(intent, request.field, request.severity)[0] == "body"
        if request.breakage == "no image":
            assert image_paths(request.body) == []
        if request.breakage == "six images":
            assert len(image_paths(request.body)) == MAX_IMAGES + 1


def test_every_diagnosis_breakage_is_drawn():
    seen = set()

    @given(broken_contract_requests(dialect_named("plan"), IMAGES)[DIAGNOSE])
    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    def draw(request):
        seen.add(request.breakage)

    draw()
    assert seen == set(DIAGNOSIS_BREAKAGES)


def test_a_request_shows_no_image_data():
    @given(contract_bodies(dialect_named("plan"), IMAGES)[ASSESS])
    @settings(max_examples=5, deadline=None)
    def shown(request):
        data = image_paths(request.body) and request.body["media"]["data"]
        assert data and data not in repr(request)

    shown()
