"""Clinical routes of the v1 dialect (CONTRACT.md Appendix B): the same service as the other dialects', v1's shapes."""

from __future__ import annotations

from fastapi import APIRouter

from lhv.device.clinical import v1_openapi, v1_shape
from lhv.device.clinical.shape_common import ClinicalShape
from lhv.device.context import DeviceContext
from lhv.device.routes_clinical import clinical_router

V1_SHAPE = ClinicalShape(
    name="v1", diagnosis_path=v1_shape.DIAGNOSIS_PATH, severity_path=v1_shape.SEVERITY_PATH,
    diagnosis_doc=v1_openapi.diagnosis_operation, severity_doc=v1_openapi.severity_operation,
    read_diagnosis=v1_shape.read_diagnosis, read_severity=v1_shape.read_severity, loc_for=v1_shape.loc_for,
    rule_errors=v1_shape.rule_errors, image_errors=v1_shape.image_errors, too_many_images=v1_shape.too_many_images,
    diagnosis_report=v1_shape.diagnosis_report, severity_report=v1_shape.severity_report)


def clinical_router_v1(ctx: DeviceContext) -> APIRouter:
    """Returns v1's routes that diagnose from 1–5 images and assess severity from one."""
    return clinical_router(ctx, V1_SHAPE)
