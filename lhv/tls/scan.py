"""Scans a target's TLS service with sslyze (only the scan commands PLAN_005 needs) and reduces it to facts."""

from __future__ import annotations

import socket
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import DNSName, IPAddress, SubjectAlternativeName

from lhv.core.errors import TargetError
from lhv.tls.judge import CertificateFacts, TlsFacts

# protocol → the name of sslyze's ScanCommand; sslyze is imported by scan() alone: every run imports this module
# while pytest collects the plans, and only PLAN_005 scans
PROTOCOL_COMMANDS = {"SSL 2.0": "SSL_2_0_CIPHER_SUITES", "SSL 3.0": "SSL_3_0_CIPHER_SUITES",
                     "TLS 1.0": "TLS_1_0_CIPHER_SUITES", "TLS 1.1": "TLS_1_1_CIPHER_SUITES",
                     "TLS 1.2": "TLS_1_2_CIPHER_SUITES", "TLS 1.3": "TLS_1_3_CIPHER_SUITES"}
SUPPLIED_STORE = "Supplied CA file"  # sslyze's name for the custom_ca_file trust store


@dataclass(frozen=True)
class ScanReport:
    """The facts of a scan and sslyze's own result as JSON (for the record)."""

    facts: TlsFacts
    sslyze_json: str
    trust_store: str


def trust_file(trust_store: str) -> Path:
    """Returns the PEM file of trusted roots: the profile's file, or this system's default bundle."""
    if trust_store != "system":
        return Path(trust_store).expanduser()
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import TrustStoresRepository

    return TrustStoresRepository.get_default().get_main_store().path  # Mozilla's, shipped with sslyze


def _reachable_ip(host: str, port: int, timeout_s: float) -> str:
    """Returns the first address of host that accepts a TCP connection on port."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise TargetError(f"cannot resolve {host}: {exc}") from None
    for family, kind, proto, _, address in infos:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout_s)
                sock.connect(address)
                return address[0]
        except OSError:
            continue
    raise TargetError(f"no address of {host} accepts connections on port {port}")


def scan(host: str, port: int, *, trust_store: str, timeout_s: float, certificate: bool = True,
         protocols: bool = True) -> ScanReport:
    """Runs sslyze against host:port; raises TargetError when the scan cannot be completed."""
    from sslyze import (
        CertificateInfoExtraArgument,
        ScanCommand,
        ScanCommandAttemptStatusEnum,
        ScanCommandsExtraArguments,
        Scanner,
        ServerNetworkLocation,
        ServerScanRequest,
        ServerScanStatusEnum,
    )
    from sslyze.json.json_output import ServerScanResultAsJson

    by_protocol = {name: getattr(ScanCommand, command) for name, command in PROTOCOL_COMMANDS.items()}
    commands: set[ScanCommand] = set()
    if certificate:
        commands.add(ScanCommand.CERTIFICATE_INFO)
    if protocols:
        commands.update(by_protocol.values())
    roots = trust_file(trust_store)
    extra = ScanCommandsExtraArguments(certificate_info=CertificateInfoExtraArgument(custom_ca_file=roots)) \
        if certificate else ScanCommandsExtraArguments()
    location = ServerNetworkLocation(host, port, ip_address=_reachable_ip(host, port, timeout_s))
    scanner = Scanner()
    scanner.queue_scans([ServerScanRequest(server_location=location, scan_commands=commands,
                                           scan_commands_extra_arguments=extra)])
    with warnings.catch_warnings():  # sslyze's bundled stores hold a root with a negative serial number
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        result = next(iter(scanner.get_results()))
    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        raise TargetError(f"sslyze could not connect to {host}:{port}: {result.connectivity_error_trace}")
    attempts = {command: getattr(result.scan_result, command.value) for command in commands}
    failed = {c.value: a.error_reason for c, a in attempts.items()
              if a.status != ScanCommandAttemptStatusEnum.COMPLETED}
    if failed:
        raise TargetError(f"sslyze scan commands did not complete: {failed}")
    accepted = {name: tuple(s.cipher_suite.name for s in attempts[command].result.accepted_cipher_suites)
                for name, command in by_protocol.items() if command in attempts}
    leaf = _certificate_facts(attempts[ScanCommand.CERTIFICATE_INFO].result, str(roots)) if certificate else None
    sslyze_json = ServerScanResultAsJson.model_validate(result).model_dump_json(indent=2)
    return ScanReport(TlsFacts(host, port, leaf, accepted), sslyze_json, str(roots))


def _certificate_facts(info: Any, roots: str) -> CertificateFacts:
    deployment = info.certificate_deployments[0]
    leaf = deployment.received_certificate_chain[0]
    validation = next((v for v in deployment.path_validation_results if v.trust_store.name == SUPPLIED_STORE), None)
    key = leaf.public_key()
    key_type = ("RSA" if isinstance(key, rsa.RSAPublicKey) else "EC" if isinstance(key, ec.EllipticCurvePublicKey)
                else "Ed25519" if isinstance(key, ed25519.Ed25519PublicKey)
                else "Ed448" if isinstance(key, ed448.Ed448PublicKey)
                else "DSA" if isinstance(key, dsa.DSAPublicKey) else type(key).__name__)
    bits = getattr(key, "key_size", None) or getattr(getattr(key, "curve", None), "key_size", 0) or \
        {"Ed25519": 256, "Ed448": 448}.get(key_type, 0)
    try:
        san = leaf.extensions.get_extension_for_class(SubjectAlternativeName).value
        dns, ips = tuple(san.get_values_for_type(DNSName)), tuple(str(ip) for ip in san.get_values_for_type(IPAddress))
    except Exception:  # no SAN: only the subject CN, which RFC 6125 clients no longer match
        dns, ips = (), ()
    error = None if validation is None or validation.was_validation_successful else validation.validation_error
    if validation is None:
        error = "sslyze did not validate against the supplied trust store"
    return CertificateFacts(subject=leaf.subject.rfc4514_string(), issuer=leaf.issuer.rfc4514_string(),
                            not_before=leaf.not_valid_before_utc, not_after=leaf.not_valid_after_utc,
                            key_type=key_type, key_bits=int(bits), dns_names=dns, ip_addresses=ips,
                            chain_length=len(deployment.received_certificate_chain),
                            trust_store=roots, chain_error=error)
