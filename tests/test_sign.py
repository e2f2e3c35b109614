"""vogue-pack sign / verify --public-key: a DSSE envelope holding an in-toto Statement over every file,
checked end to end with keys made by cryptography (and by openssl when it is installed)."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from release_support import build, shared_image_cache, validate_tree
from tamper import refile

from vogue_pack.cli import cli
from vogue_pack.release.sign import PAYLOAD_TYPE, PREDICATE_TYPE, STATEMENT_TYPE, pae
from vogue_pack.synth import SynthInfo

SIGNATURE = "signature.dsse.json"


@pytest.fixture(scope="module")
def built(small_tree: SynthInfo, tmp_path_factory: pytest.TempPathFactory) -> Path:
    validation = validate_tree(small_tree.root, shared_image_cache(tmp_path_factory))
    return build(validation, tmp_path_factory.mktemp("sign-release")).path


@pytest.fixture
def release(built: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(built, tmp_path / "1.0"))


def write_keys(folder: Path, private_key: object, name: str) -> tuple[Path, Path]:
    private = folder / f"{name}.pem"
    public = folder / f"{name}.pub.pem"
    private.write_bytes(private_key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public.write_bytes(private_key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return write_keys(tmp_path, ed25519.Ed25519PrivateKey.generate(), "ed25519")


def sign(release: Path, key: Path) -> Result:
    return CliRunner().invoke(cli, ["sign", str(release), "--key", str(key)])


def verify(release: Path, public: Path) -> Result:
    return CliRunner().invoke(cli, ["verify", str(release), "--public-key", str(public)])


def test_round_trip_and_the_envelope_follows_dsse_and_in_toto(release: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    signed = sign(release, private)
    assert signed.exit_code == 0, signed.output
    ok = verify(release, public)
    assert ok.exit_code == 0, ok.output
    assert "checked against the signature" in ok.stdout
    envelope = json.loads((release / SIGNATURE).read_text())
    assert envelope["payloadType"] == PAYLOAD_TYPE == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    statement = json.loads(payload)
    assert statement["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == PREDICATE_TYPE
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    assert [s["name"] for s in statement["subject"]] == [f for f in files if f != SIGNATURE]
    sums = (release / "SHA256SUMS").read_bytes()
    import hashlib

    assert statement["predicate"]["release_digest"] == "sha256:" + hashlib.sha256(sums).hexdigest()
    # The signature is over PAE exactly as DSSE defines it, checked here with cryptography directly.
    expected = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
    assert pae(PAYLOAD_TYPE, payload) == expected
    public_key = serialization.load_pem_public_key(public.read_bytes())
    public_key.verify(base64.b64decode(envelope["signatures"][0]["sig"]), expected)  # type: ignore[union-attr]
    # verify without a key accepts the signature file but says it did not check it
    plain = CliRunner().invoke(cli, ["verify", str(release)])
    assert plain.exit_code == 0 and "was not checked" in plain.stdout


def test_a_consistent_tamper_fails_the_signature(release: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert sign(release, private).exit_code == 0
    card = release / "README.md"
    card.write_text(card.read_text() + "\nedited\n")
    refile(release, "README.md")
    assert CliRunner().invoke(cli, ["verify", str(release)]).exit_code == 0  # consistent: no key cannot tell
    failed = verify(release, public)
    assert failed.exit_code == 1
    assert "README.md differs from the signed sha256" in failed.stdout


def test_wrong_key_missing_signature_and_extra_file_fail(release: Path, keys: tuple[Path, Path],
                                                         tmp_path: Path) -> None:
    private, public = keys
    missing = verify(release, public)
    assert missing.exit_code == 1 and "no signature" in missing.stdout
    assert sign(release, private).exit_code == 0
    _other_private, other_public = write_keys(tmp_path, ed25519.Ed25519PrivateKey.generate(), "other")
    wrong = verify(release, other_public)
    assert wrong.exit_code == 1 and "another key" in wrong.stdout
    (release / "extra.txt").write_text("added after signing\n")
    extra = verify(release, public)
    assert extra.exit_code == 1 and "extra.txt" in extra.stdout


def test_a_bad_signature_fails(release: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert sign(release, private).exit_code == 0
    envelope = json.loads((release / SIGNATURE).read_text())
    sig = bytearray(base64.b64decode(envelope["signatures"][0]["sig"]))
    sig[0] ^= 1
    envelope["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
    (release / SIGNATURE).write_text(json.dumps(envelope))
    assert verify(release, public).exit_code == 1
    (release / SIGNATURE).write_text("[" * 100_000)
    deep = verify(release, public)
    assert deep.exit_code == 1 and "Traceback" not in deep.output


def test_sign_refuses_a_release_that_does_not_verify(release: Path, keys: tuple[Path, Path]) -> None:
    (release / "images/item_1.png").write_bytes(b"not the image")
    refused = sign(release, keys[0])
    assert refused.exit_code == 1 and "does not verify" in refused.stderr
    assert not (release / SIGNATURE).exists()


def test_ecdsa_p256_round_trip(release: Path, tmp_path: Path) -> None:
    private, public = write_keys(tmp_path, ec.generate_private_key(ec.SECP256R1()), "p256")
    assert sign(release, private).exit_code == 0
    assert verify(release, public).exit_code == 0


def test_an_unsupported_key_is_a_usage_error(release: Path, tmp_path: Path) -> None:
    private, _public = write_keys(tmp_path, ec.generate_private_key(ec.SECP384R1()), "p384")
    result = sign(release, private)
    assert result.exit_code == 2 and "unsupported" in result.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_keys_made_by_openssl(release: Path, tmp_path: Path) -> None:
    private, public = tmp_path / "k.pem", tmp_path / "k.pub.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(private)], check=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True)
    assert sign(release, private).exit_code == 0
    assert verify(release, public).exit_code == 0


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_one_byte_change_of_a_signed_release_fails_verify_with_the_key(signed: tuple[Path, Path],
                                                                          data: st.DataObject) -> None:
    """Every file, the signature file included: no single changed byte passes verify --public-key."""
    release, public = signed
    files = sorted(p.relative_to(release).as_posix() for p in release.rglob("*") if p.is_file())
    rel = data.draw(st.sampled_from(files), label="file")
    path = release / rel
    original = path.read_bytes()
    offset = data.draw(st.integers(min_value=0, max_value=len(original) - 1), label="offset")
    mask = data.draw(st.integers(min_value=1, max_value=255), label="xor mask")
    changed = bytearray(original)
    changed[offset] ^= mask
    path.write_bytes(bytes(changed))
    try:
        from vogue_pack.release.verify import verify_release

        assert not verify_release(release, public_key=public).ok
    finally:
        path.write_bytes(original)


@pytest.fixture(scope="module")
def signed(built: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("signed")
    release = Path(shutil.copytree(built, folder / "1.0"))
    private, public = write_keys(folder, ed25519.Ed25519PrivateKey.generate(), "module")
    assert sign(release, private).exit_code == 0
    return release, public


def test_url_safe_base64_is_read_as_dsse_allows(release: Path, keys: tuple[Path, Path]) -> None:
    private, public = keys
    assert sign(release, private).exit_code == 0
    envelope = json.loads((release / SIGNATURE).read_text())
    for holder, field in ((envelope, "payload"), (envelope["signatures"][0], "sig")):
        holder[field] = base64.urlsafe_b64encode(base64.b64decode(holder[field])).decode().rstrip("=")
    (release / SIGNATURE).write_text(json.dumps(envelope))
    assert verify(release, public).exit_code == 0


def test_a_second_key_adds_a_signature_and_either_key_verifies(release: Path, keys: tuple[Path, Path],
                                                                tmp_path: Path) -> None:
    private, public = keys
    other_private, other_public = write_keys(tmp_path, ec.generate_private_key(ec.SECP256R1()), "second")
    assert sign(release, private).exit_code == 0
    again = sign(release, other_private)
    assert again.exit_code == 0 and "2 signatures" in again.stderr
    assert len(json.loads((release / SIGNATURE).read_text())["signatures"]) == 2
    assert verify(release, public).exit_code == 0 and verify(release, other_public).exit_code == 0
