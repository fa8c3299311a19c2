"""The shipped OpenAPI documents of the contract and the reference device's generated ones describe one API.

They must agree on what matters to a client: the operations, the request media types, the
required request properties (a snake_case/camelCase pair counts as one), the documented statuses
and which operations need a bearer token. Everything else (descriptions, response schemas, how a
schema is factored) may differ.
"""

import pytest

from lhv.device.app import create_app
from lhv.device.context import DeviceContext
from lhv.device.settings import DeviceSettings
from lhv.fuzz.document import DOCUMENTS, differences, shipped_document, summary


def _generated(dialect: str, state_dir) -> dict:
    return create_app(DeviceContext(DeviceSettings(state_dir=str(state_dir), dialect=dialect))).openapi()


@pytest.mark.parametrize("dialect", sorted(DOCUMENTS))
def test_shipped_document_matches_the_devices(dialect, tmp_path):
    problems = differences(summary(shipped_document(dialect)), summary(_generated(dialect, tmp_path)))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("dialect", sorted(DOCUMENTS))
def test_every_route_of_the_dialect_is_documented(dialect, tmp_path):
    from lhv.contract.dialects import dialect_named

    documented = set(summary(shipped_document(dialect)))
    routes = {f"{route.method} {route.path}" for route in dialect_named(dialect).routes.values()}
    assert routes == documented
    bearer = {label for label, operation in summary(shipped_document(dialect)).items() if operation.bearer}
    assert bearer == {f"{route.method} {route.path}" for route in dialect_named(dialect).routes.values()
                      if route.needs_token}
