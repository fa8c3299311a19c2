"""The clinical routes in the plans' words: images, payload files and requests, sent as the profile's user."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lhv.contract.intents import Image, SeverityRequest
from lhv.contract.made_images import blank_png
from lhv.contract.payloads import IMAGES_DIR, PAYLOADS_DIR, PayloadFile, content_type_of, discover, encode_image, find
from lhv.core import announce
from lhv.core.errors import ConfigError
from lhv.core.http import Reply
from lhv.core.pacing import AUTHENTICATED
from lhv.session.run import RunState
from lhv.session.target import Api, Target

SUBJECT = "fake-patient-id"  # the seed's subject reference


def profile_path(target: Target, value: str, default: Path) -> Path:
    """A path the profile names (relative to the profile file), or the packaged default when empty."""
    if not value:
        return default
    path = Path(target.expand(value)).expanduser()
    source = Path(target.profile.source)
    return path if path.is_absolute() or not source.is_file() else source.resolve().parent / path


class Clinic:
    """The clinical routes in the plans' words: images, payload files, requests, as the profile's user."""

    def __init__(self, target: Target, api: Api, run: RunState) -> None:
        self.target, self.api, self.run, self.dialect = target, api, run, api.dialect
        settings = target.profile.clinical
        self.images_dir = profile_path(target, settings.images_dir, IMAGES_DIR)
        self.payloads_dir = profile_path(target, settings.payloads_dir, PAYLOADS_DIR)

    def image(self, name: str, content_type: str | None = None) -> Image:
        """An image of the images folder as standard base64 (its content type from the suffix unless given)."""
        return self.image_file(self.images_dir / name, content_type)

    @staticmethod
    def image_file(path: Path, content_type: str | None = None) -> Image:
        """Any image file as standard base64."""
        return Image(content_type or content_type_of(path), encode_image(_read(path)), path.name)

    @staticmethod
    def unusable_image() -> Image:
        """A readable PNG that is no photo of skin (a white square), as standard base64."""
        return Image("image/png", encode_image(blank_png()), "a white 64 × 64 PNG made by the harness")

    def image_bytes(self, name: str) -> bytes:
        """An image file's bytes, for rejection cases that write them otherwise."""
        return _read(self.images_dir / name)

    def token(self) -> str:
        """A token of the profile's user that is still valid when the request goes out.

        The request may have to wait for the rate pacer; that wait comes first, so a short-lived
        token (the embedded device's lives 4 s) is not taken near its end and then held while paced.
        """
        announce.sleep(self.target.pacer.delay(AUTHENTICATED), "the authenticated rate-limit budget")
        return self.api.token(self.target.credentials("user"))

    def send(self, operation: str, body: dict) -> Reply:
        """Sends a JSON body to the route that serves an operation ('diagnose', 'assess_severity')."""
        reply = self.api.call(operation, token=self.token(), json_body=body)
        reply.request_json = body  # what the reply owes the request (its subject) is judged from it
        return reply

    def send_raw(self, operation: str, content: bytes) -> Reply:
        """Sends bytes that claim to be JSON (for bodies that are not)."""
        route = self.dialect.route(operation)
        return self.api.client.request(route.method, route.path, token=self.token(), content=content,
                                       headers={"Content-Type": "application/json"})

    def diagnose(self, images: Sequence[Image], subject: str | None = SUBJECT) -> Reply:
        """Asks for a diagnosis of these images of one lesion, in order."""
        return self.send("diagnose", self.dialect.diagnosis_body(images, subject))

    def assess(self, request: SeverityRequest) -> Reply:
        """Asks for a severity assessment."""
        return self.send("assess_severity", self.dialect.severity_body(request))

    def payloads(self, operation: str | None = None, *, valid: bool | None = None) -> list[PayloadFile]:
        """The payload files written in the target's dialect, optionally of one operation and validity."""
        return [payload for payload in discover(self.payloads_dir)
                if payload.dialect == self.dialect.name and operation in (None, payload.operation)
                and valid in (None, payload.valid)]

    def payload(self, name: str, plan_id: str | None = None) -> PayloadFile:
        """The payload file of this name in the target's dialect, listed in the plan's test data."""
        payload = find(name, self.dialect.name, self.payloads_dir)
        if plan_id:
            self.run.add_test_data(plan_id, payload.path, payload.description)
        return payload

    def send_payload(self, payload: PayloadFile) -> Reply:
        """Sends a payload file's body with its images inlined."""
        return self.send(payload.operation, payload.resolved(self.images_dir))


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigError(str(path), None, f"cannot read image ({exc.strerror})") from None
