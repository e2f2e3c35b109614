"""Offline release signatures: an in-toto Statement v1 over every release file, in a DSSE envelope.

The format is the one Sigstore bundles and OpenSSF model-signing use:

- the payload is an in-toto Statement v1 (https://in-toto.io/Statement/v1): ``subject`` lists every file of
  the release (except the signature file itself) with its sha256, ``predicateType`` is
  :data:`PREDICATE_TYPE`, and the predicate names the dataset, its version and the release digest;
- the envelope is DSSE v1 (https://github.com/secure-systems-lab/dsse): ``payloadType``
  ``application/vnd.in-toto+json``, the payload in standard base64 (standard and URL-safe are read), and
  each signature computed over
  ``PAE(payloadType, payload)`` = ``"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`` (lengths as ASCII
  decimal byte counts). Keys are Ed25519 or ECDSA P-256 (signatures DER-encoded, SHA-256), handled only
  through ``cryptography``; the ``keyid`` is the sha256 of the public key's DER SubjectPublicKeyInfo.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vogue_pack._version import __version__
from vogue_pack.errors import UsageError
from vogue_pack.release.format import SIGNATURE, sha256_bytes, unsafe_path_reason

if TYPE_CHECKING:
    from vogue_pack.release.verify import VerifyResult

PAYLOAD_TYPE = "application/vnd.in-toto+json"
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://vogue-pack.dev/release/v1"
_MAX_ENVELOPE_BYTES = 64 << 20
_MAX_KEY_BYTES = 1 << 16


def b64decode(text: str) -> bytes:
    """Decode DSSE's Base64, which "either standard or URL-safe encoding" may write (padding optional);
    anything else raises ValueError."""
    standard = text.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(standard + "=" * (-len(standard) % 4), validate=True)


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE's Pre-Authentication Encoding of ``payload`` (exactly as the DSSE v1 protocol defines it)."""
    kind = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _read_pem(path: Path, what: str) -> bytes:
    try:
        if Path(path).stat().st_size > _MAX_KEY_BYTES:
            raise UsageError(f"{path}: too large for a PEM {what} key")
        return Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read the {what} key: {exc.strerror or exc}") from exc


def _check_key_type(key: Any, path: Path, what: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519

    if isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        return
    if isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) and \
            isinstance(key.curve, ec.SECP256R1):
        return
    raise UsageError(f"{path}: an unsupported {what} key ({type(key).__name__}); use Ed25519 "
                     "(`openssl genpkey -algorithm ed25519`) or ECDSA P-256")


def load_private_key(path: Path) -> Any:
    """An Ed25519 or ECDSA P-256 private key from a PEM file (UsageError otherwise). An encrypted key is
    unlocked with the passphrase in the environment variable VOGUE_PACK_KEY_PASSPHRASE."""
    from cryptography.hazmat.primitives import serialization

    passphrase = os.environ.get("VOGUE_PACK_KEY_PASSPHRASE")
    try:
        key = serialization.load_pem_private_key(_read_pem(path, "private"),
                                                 password=passphrase.encode("utf-8") if passphrase else None)
    except TypeError as exc:  # encrypted without a passphrase, or a passphrase for a plain key
        raise UsageError(f"{path}: {exc} (set VOGUE_PACK_KEY_PASSPHRASE for an encrypted key)") from exc
    except ValueError as exc:
        raise UsageError(f"{path}: not a PEM private key (or a wrong passphrase): {exc}") from exc
    _check_key_type(key, path, "private")
    return key


def load_public_key(path: Path) -> Any:
    """An Ed25519 or ECDSA P-256 public key from a PEM file (UsageError otherwise)."""
    from cryptography.hazmat.primitives import serialization

    try:
        key = serialization.load_pem_public_key(_read_pem(path, "public"))
    except ValueError as exc:
        raise UsageError(f"{path}: not a PEM public key: {exc}") from exc
    _check_key_type(key, path, "public")
    return key


def key_id(public_key: Any) -> str:
    """The sha256 of the key's DER SubjectPublicKeyInfo: the ``keyid`` of a DSSE signature."""
    from cryptography.hazmat.primitives import serialization

    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return sha256_bytes(der)


def _sign(private_key: Any, message: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        return private_key.sign(message, ec.ECDSA(hashes.SHA256()))
    return private_key.sign(message)


def _valid(public_key: Any, signature: bytes, message: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        if isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        else:
            public_key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def statement(result: VerifyResult) -> dict[str, Any]:
    """The in-toto Statement of a verified release: every file (but the signature) with its sha256."""
    subjects = [{"name": rel, "digest": {"sha256": digest}}
                for rel, digest in sorted(_signed_files(result).items())]
    return {
        "_type": STATEMENT_TYPE,
        "subject": subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "dataset": "VOGUE",
            "version": result.version,
            "release_digest": result.release_digest,
            "files": len(subjects),
            "tool": {"name": "vogue-pack", "version": __version__},
        },
    }


def _signed_files(result: VerifyResult) -> dict[str, str]:
    """Every file verify hashed, plus SHA256SUMS itself (its sha256 is the release digest)."""
    from vogue_pack.release.format import CHECKSUMS

    files = {rel: digest for rel, digest in result.file_sha256.items() if rel != SIGNATURE}
    if result.release_digest is not None:
        files[CHECKSUMS] = result.release_digest.removeprefix("sha256:")
    return files


@dataclass(frozen=True)
class SignResult:
    """A written signature: where, by which key, over how many files, and the release digest."""

    path: Path
    key_id: str
    files: int
    release_digest: str
    signatures: int


def sign_release(release: Path, key_path: Path) -> tuple[VerifyResult, SignResult | None]:
    """Verify ``release`` and, when it is intact, write its signature file (``signature.dsse.json``).

    Returns the verification and None when the release does not verify (nothing is written). A signature
    file already present with the same statement gains this key's signature (DSSE allows several);
    one over other contents is refused (UsageError): remove it first."""
    from vogue_pack.release.verify import verify_release

    private_key = load_private_key(key_path)
    result = verify_release(release)
    if not result.ok or result.release_digest is None:
        return result, None
    payload = json.dumps(statement(result), indent=2, ensure_ascii=False).encode("utf-8") + b"\n"
    keyid = key_id(private_key.public_key())
    signature = {"keyid": keyid, "sig": base64.b64encode(_sign(private_key, pae(PAYLOAD_TYPE, payload))).decode()}
    target = Path(release) / SIGNATURE
    signatures = [signature]
    if target.exists() or target.is_symlink():
        existing = _read_envelope(target)
        if isinstance(existing, str) or existing.payload != payload:
            raise UsageError(f"{target} exists and does not sign this release's current contents; remove it "
                             "and sign again")
        signatures = [s for s in existing.signatures if s.get("keyid") != keyid] + [signature]
    envelope = {"payloadType": PAYLOAD_TYPE, "payload": base64.b64encode(payload).decode("ascii"),
                "signatures": signatures}
    _write_atomically(target, (json.dumps(envelope, indent=2) + "\n").encode("utf-8"))
    return result, SignResult(target, keyid, len(_signed_files(result)), result.release_digest, len(signatures))


def _write_atomically(target: Path, data: bytes) -> None:
    handle, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


@dataclass(frozen=True)
class _Envelope:
    payload: bytes
    signatures: list[dict[str, Any]]


def _read_envelope(path: Path) -> _Envelope | str:
    """The parsed DSSE envelope, or a message saying why it is not one."""
    import stat

    try:
        mode = path.lstat().st_mode
    except OSError:
        return f"no signature: {SIGNATURE} is missing (sign the release with `vogue-pack sign`)"
    if not stat.S_ISREG(mode):
        return f"{SIGNATURE} is not a regular file; never opened"
    if path.stat().st_size > _MAX_ENVELOPE_BYTES:
        return f"{SIGNATURE} is larger than {_MAX_ENVELOPE_BYTES >> 20} MiB; not a signature"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return f"{SIGNATURE} is not a JSON DSSE envelope: {str(exc)[:200]}"
    except RecursionError:
        return f"{SIGNATURE} is nested too deeply to be a DSSE envelope"
    if not isinstance(data, dict) or data.get("payloadType") != PAYLOAD_TYPE:
        return f"{SIGNATURE} is not a DSSE envelope with payloadType {PAYLOAD_TYPE}"
    signatures = data.get("signatures")
    if not isinstance(data.get("payload"), str) or not isinstance(signatures, list) or not signatures or \
            not all(isinstance(s, dict) and isinstance(s.get("sig"), str) for s in signatures):
        return f"{SIGNATURE}: a DSSE envelope needs a payload and at least one signature"
    try:
        payload = b64decode(data["payload"])
    except (binascii.Error, ValueError):
        return f"{SIGNATURE}: the payload is not standard base64"
    return _Envelope(payload, signatures)


def check_signature(root: Path, public_key: Any, on_disk: set[str], result: VerifyResult) -> list[str]:
    """Why the signature file does not prove that ``public_key`` signed exactly this release (empty when
    it does): a valid signature by this key over the PAE of the payload, an in-toto Statement whose
    subjects are exactly the release's files with the sha256 that verify recomputed."""
    envelope = _read_envelope(Path(root) / SIGNATURE)
    if isinstance(envelope, str):
        return [envelope]
    message = pae(PAYLOAD_TYPE, envelope.payload)
    valid = False
    for entry in envelope.signatures:
        try:
            signature = b64decode(entry["sig"])
        except (binascii.Error, ValueError):
            continue
        if _valid(public_key, signature, message):
            valid = True
            break
    if not valid:
        return [f"no valid signature by the key {key_id(public_key)[:16]}…: the signature is bad or was made "
                "with another key"]
    try:
        document = json.loads(envelope.payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return ["the signed payload is not an in-toto Statement (not JSON)"]
    if not isinstance(document, dict) or document.get("_type") != STATEMENT_TYPE or \
            document.get("predicateType") != PREDICATE_TYPE or not isinstance(document.get("subject"), list):
        return [f"the signed payload is not an in-toto Statement v1 with predicateType {PREDICATE_TYPE}"]
    signed: dict[str, str] = {}
    problems: list[str] = []
    for subject in document["subject"]:
        name = subject.get("name") if isinstance(subject, dict) else None
        digest = subject.get("digest", {}).get("sha256") if isinstance(subject, dict) and \
            isinstance(subject.get("digest"), dict) else None
        if not isinstance(name, str) or not isinstance(digest, str) or unsafe_path_reason(name) is not None:
            problems.append(f"a signed subject is malformed or names an unsafe path: {str(subject)[:80]}")
        elif name in signed:
            problems.append(f"{name} is signed twice: the statement is ambiguous")
        else:
            signed[name] = digest
    present = _signed_files(result)
    for rel in sorted(set(signed) - set(present)):
        problems.append(f"{rel} was signed but is not in the release (or could not be checked)")
    for rel in sorted(set(present) - set(signed)):
        problems.append(f"{rel} is in the release but was not signed")
    for rel in sorted(set(signed) & set(present)):
        if signed[rel] != present[rel]:
            problems.append(f"{rel} differs from the signed sha256 {signed[rel][:12]}…")
    unhashed = sorted(on_disk - set(present) - {SIGNATURE})
    problems += [f"{rel} is in the release but was not signed" for rel in unhashed if rel not in signed]
    found = document.get("predicate")
    predicate: dict[str, Any] = found if isinstance(found, dict) else {}
    if predicate.get("release_digest") != result.release_digest:
        problems.append(f"the signed release digest {predicate.get('release_digest')} is not this release's "
                        f"{result.release_digest}")
    if predicate.get("version") != result.version:
        problems.append(f"the signature is for version {predicate.get('version')}, this is {result.version}")
    return problems
