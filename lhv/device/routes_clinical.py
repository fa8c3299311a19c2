"""Clinical routes of either dialect: diagnosis support and severity assessment, over the one clinical service."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from lhv.device.clinical import plan_openapi, plan_shape
from lhv.device.clinical.service import ClinicalService
from lhv.device.clinical.shape_common import ClinicalShape, RequestInvalid, diagnosis_report, elide, parse_json
from lhv.device.clinical.validation import plan_loc_for
from lhv.device.context import DeviceContext
from lhv.device.users import User

PLAN_SHAPE = ClinicalShape(
    name="plan", diagnosis_path="/diagnosis-support", severity_path="/severity-assessment",
    diagnosis_doc=plan_openapi.diagnosis_operation, severity_doc=plan_openapi.severity_operation,
    read_diagnosis=plan_shape.read_diagnosis, read_severity=plan_shape.read_severity, loc_for=plan_loc_for,
    rule_errors=lambda errors: errors, image_errors=plan_shape.image_errors,
    too_many_images=plan_shape.too_many_images, diagnosis_report=diagnosis_report,
    severity_report=plan_shape.severity_report)


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def clinical_router(ctx: DeviceContext, shape: ClinicalShape = PLAN_SHAPE) -> APIRouter:
    """Returns the routes that diagnose from 1–5 images and assess severity from one, in a dialect's shape."""
    router = APIRouter()
    service = ClinicalService(ctx.has)
    lenient = ctx.has("accepts-malformed-body")
    fhir_slip = ctx.has("response-not-fhir")

    @router.post(shape.diagnosis_path, **shape.diagnosis_doc())
    def diagnosis_support(user: User = Depends(ctx.require_user), raw: bytes = Depends(_raw_body)) -> JSONResponse:
        started = time.perf_counter()
        try:
            parsed = shape.read_diagnosis(parse_json(raw), lenient=lenient)
            most = service.image_limits[1]
            if len(parsed.media) > most:
                raise shape.too_many_images(len(parsed.media), most)
            images, rejected = service.decode(parsed.media)
            if rejected:
                raise RequestInvalid(shape.image_errors(rejected, listed=True))
        except RequestInvalid as invalid:
            return JSONResponse({"detail": invalid.errors}, status_code=422)
        result = service.diagnose(images, started)
        return JSONResponse(shape.diagnosis_report(result, parsed.subject, fhir_slip=fhir_slip))

    @router.post(shape.severity_path, **shape.severity_doc())
    def severity_assessment(user: User = Depends(ctx.require_user), raw: bytes = Depends(_raw_body)) -> JSONResponse:
        started = time.perf_counter()
        beside: dict = {}  # what a refusal carries besides its errors: nothing, unless fault report-on-refusal
        try:
            body = parse_json(raw)
            parsed = shape.read_severity(body, lenient=lenient)
            received, loc_for = elide(body), shape.loc_for(parsed.request)
            errors = shape.rule_errors(service.validate_severity(parsed.request, received, loc_for))
            images, rejected = service.decode([parsed.media])
            errors += shape.image_errors(rejected, listed=False)
            if errors:
                preliminary = service.preliminary_severity(images, parsed.request, received, loc_for, started)
                if preliminary is not None:
                    beside = shape.severity_report(preliminary, parsed, fhir_slip=fhir_slip)
                raise RequestInvalid(errors)
        except RequestInvalid as invalid:
            return JSONResponse({**beside, "detail": invalid.errors}, status_code=422)
        result = service.assess_severity(images[0], parsed.request, started)
        return JSONResponse(shape.severity_report(result, parsed, fhir_slip=fhir_slip))

    return router
