"""What a security check works with: the target's routes, valid sample requests, tokens and one client.

Every request goes through the run's recording client, so it is paced under the profile's rate
limits and filed, redacted, as evidence in the running plan step. Sample requests are built by
the dialect, so the checks hold for any API generation a profile targets. Logins that a check
breaks on purpose use a name that belongs to no account, so the profile's accounts never lock.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lhv.contract.dialects.base import Route
from lhv.contract.intents import Image, SeverityRequest
from lhv.core.errors import TargetError
from lhv.core.http import CertificateRejected, ConnectionRefused, Reply
from lhv.core.secrets import SECRETS
from lhv.fuzz.images import SourceImage
from lhv.session.accounts import Accounts
from lhv.session.target import Api, Credentials, Target

SUBJECT = "lhv-security-pass"


@dataclass(frozen=True)
class Sample:
    """A valid request for one route: a JSON body or a form."""

    intent: str
    route: Route
    json_body: Any = None
    form: dict[str, str] | None = None


class Probe:
    """The target as the security checks see it."""

    def __init__(self, target: Target, api: Api, accounts: Accounts, document: dict[str, Any],
                 image: SourceImage):
        self.target, self.api, self.accounts, self.document = target, api, accounts, document
        self.dialect, self.client = api.dialect, api.client
        self.image = _image(image)
        self.stranger = accounts.new_identity("security-pass")  # never registered: its failed logins lock nobody

    # ---- accounts and tokens ---------------------------------------------------------------------

    @property
    def user(self) -> Credentials:
        """The profile's ordinary user."""
        return self.accounts.user

    def token(self) -> str:
        """A valid token of the profile's user (logs in again before it expires)."""
        return self.api.token(self.user)

    def other_usernames(self) -> list[str]:
        """Usernames of the profile's other accounts (second user, admin), where the profile names them."""
        names = []
        for label in ("second_user", "admin"):
            if getattr(self.target.profile.credentials, label) is not None:
                names.append(self.target.credentials(label).username)
        return names

    # ---- routes and samples ----------------------------------------------------------------------

    def route(self, intent: str) -> Route:
        """The dialect's route for an intent."""
        return self.dialect.route(intent)

    def bearer_routes(self) -> list[tuple[str, Route]]:
        """(intent, route) of every route that needs a token."""
        return [(intent, route) for intent, route in self.dialect.routes.items() if route.needs_token]

    def paths(self) -> list[tuple[str, Route]]:
        """(intent, route) of every route of the dialect."""
        return list(self.dialect.routes.items())

    def sample(self, intent: str) -> Sample:
        """A valid request for a route (registration: a fresh identity, never the profile's accounts)."""
        route = self.route(intent)
        if intent == "login":
            return Sample(intent, route, form=self.dialect.login_form(self.stranger.username, self.stranger.password))
        if intent == "register":
            identity = self.accounts.new_identity("security-register")
            return Sample(intent, route, json_body=self.dialect.registration_body(identity.username,
                                                                                  identity.password, None))
        if intent == "diagnose":
            return Sample(intent, route, json_body=self.dialect.diagnosis_body([self.image], SUBJECT))
        if intent == "assess_severity":
            request = SeverityRequest(self.image, "EA90", "Psoriasis", "arm_left", ("apasi",),
                                      {"apasi": {"surface": 3}}, SUBJECT)
            return Sample(intent, route, json_body=self.dialect.severity_body(request))
        return Sample(intent, route)

    def samples_with_bodies(self) -> Iterator[Sample]:
        """A valid sample of every route that takes a body."""
        for intent, route in self.paths():
            if route.method in ("POST", "PUT", "PATCH"):
                yield self.sample(intent)

    # ---- sending ---------------------------------------------------------------------------------

    def send(self, route: Route | tuple[str, str], *, token: str | None = None, json_body: Any = None,
             form: dict[str, str] | None = None, content: bytes | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """Sends one request (a route, or a method and path) through the run's client."""
        method, path = (route.method, route.path) if isinstance(route, Route) else route
        try:
            return self.client.request(method, path, token=token, json_body=json_body, form=form, content=content,
                                       headers=headers)
        except (ConnectionRefused, CertificateRejected):
            raise
        except TargetError:
            # A device may close a kept-alive connection after an answer (uvicorn does after a 500); like browsers,
            # curl and schemathesis, send once more on a fresh connection (both attempts are in the evidence).
            return self.client.request(method, path, token=token, json_body=json_body, form=form, content=content,
                                       headers=headers)

    def send_sample(self, sample: Sample, *, token: str | None = None, json_body: Any = None,
                    form: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> Reply:
        """Sends a sample (or a body in its place) to its route."""
        if sample.form is not None or form is not None:
            return self.send(sample.route, token=token, form=form if form is not None else sample.form,
                             headers=headers)
        body = json_body if json_body is not None else sample.json_body
        return self.send(sample.route, token=token, json_body=body, headers=headers)

    def authorized(self, sample: Sample) -> str | None:
        """The token a sample is sent with: the user's where the route needs one, none otherwise."""
        return self.token() if sample.route.needs_token else None


def _image(source: SourceImage) -> Image:
    text = base64.b64encode(source.raw).decode("ascii")
    SECRETS.add_image(text)
    return Image(source.content_type, text, source.name)
