"""Clinical routes of the v2 dialect (CONTRACT.md Appendix): the same service as the plan dialect's, v2's shapes."""

from __future__ import annotations

from fastapi import APIRouter

from lhv.device.clinical import manual, v2_openapi, v2_shape
from lhv.device.clinical.shape_common import ClinicalShape, diagnosis_report
from lhv.device.context import DeviceContext
from lhv.device.routes_clinical import clinical_router

V2_SHAPE = ClinicalShape(
    name="v2", diagnosis_path=v2_shape.DIAGNOSIS_PATH, severity_path=v2_shape.SEVERITY_PATH,
    diagnosis_doc=v2_openapi.diagnosis_operation, severity_doc=v2_openapi.severity_operation,
    read_diagnosis=v2_shape.read_diagnosis, read_severity=v2_shape.read_severity, loc_for=v2_shape.loc_for,
    rule_errors=v2_shape.rule_errors, image_errors=v2_shape.image_errors, too_many_images=v2_shape.too_many_images,
    diagnosis_report=diagnosis_report, severity_report=v2_shape.severity_report)


def clinical_router_v2(ctx: DeviceContext) -> APIRouter:
    """Returns v2's routes that diagnose from 1–5 images, assess severity from one, and score answers alone."""
    router = clinical_router(ctx, V2_SHAPE)
    router.add_api_route(manual.MANUAL_PATH, manual.manual_handler(ctx), methods=["POST"], **manual.manual_operation())
    return router
