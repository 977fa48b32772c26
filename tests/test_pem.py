"""A private key whose line breaks DSS turned into spaces is rebuilt into a PEM that loads."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from dss import ask, make_llm
from spcs_llm.auth.keypair_jwt import load_private_key, public_key_fingerprint
from spcs_llm.auth.pem import rebuild_pem
from spcs_llm.errors import ConfigError

PASSPHRASE = "correct horse battery staple"


@pytest.fixture(scope="module")
def key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem_of(key, fmt, passphrase=None):
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, fmt, encryption).decode("ascii")


FORMS = {
    "pkcs8": (serialization.PrivateFormat.PKCS8, None, "-----BEGIN PRIVATE KEY-----"),
    "pkcs8-encrypted": (serialization.PrivateFormat.PKCS8, PASSPHRASE, "-----BEGIN ENCRYPTED PRIVATE KEY-----"),
    "pkcs1": (serialization.PrivateFormat.TraditionalOpenSSL, None, "-----BEGIN RSA PRIVATE KEY-----"),
    # Encrypted PKCS#1 carries Proc-Type and DEK-Info headers before its body.
    "pkcs1-encrypted": (serialization.PrivateFormat.TraditionalOpenSSL, PASSPHRASE, "Proc-Type: 4,ENCRYPTED"),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_space_joined_key_loads_as_the_original(key, form):
    fmt, passphrase, marker = FORMS[form]
    original = pem_of(key, fmt, passphrase)
    assert marker in original
    space_joined = original.strip().replace("\n", " ")
    assert "\n" not in space_joined

    assert rebuild_pem(space_joined) == original
    loaded = load_private_key(space_joined, passphrase)
    assert loaded.private_numbers() == key.private_numbers()
    assert public_key_fingerprint(loaded) == public_key_fingerprint(key)


@pytest.mark.parametrize("mangle", [
    lambda pem: pem.replace("\n", "\r\n"),          # pasted from Windows
    lambda pem: pem.replace("\n", "\\n"),           # JSON-escaped line breaks
    lambda pem: "  " + pem.replace("\n", "  \t ") + "  ",
    lambda pem: pem,                                 # already well formed
])
def test_other_lost_layouts_are_rebuilt(key, mangle):
    original = pem_of(key, serialization.PrivateFormat.PKCS8)
    assert rebuild_pem(mangle(original)) == original


def test_space_joined_encrypted_key_with_a_wrong_passphrase_still_names_the_field(key):
    space_joined = pem_of(key, serialization.PrivateFormat.PKCS8, PASSPHRASE).replace("\n", " ")
    with pytest.raises(ConfigError, match="keypair.privateKey.*could not decrypt the private key") as info:
        load_private_key(space_joined, "wrong")
    assert space_joined[40:80] not in str(info.value)


@pytest.mark.parametrize("text", ["", "not a key", "-----BEGIN CERTIFICATE----- MIIB -----END CERTIFICATE-----",
                                  "-----BEGIN PRIVATE KEY----- MIIE no end line"])
def test_text_without_a_private_key_block_is_left_for_the_loader_to_refuse(text):
    assert rebuild_pem(text) == text
    if text:
        with pytest.raises(ConfigError, match="keypair.privateKey"):
            load_private_key(text)


def test_space_joined_key_in_the_keypair_preset_authenticates(env):
    """End to end: the key as DSS hands it over signs a JWT the stand-in's Snowflake accepts."""
    config = env.config("openai", "KEYPAIR_JWT")
    config["keypair"] = dict(config["keypair"], privateKey=env.private_pem.strip().replace("\n", " "))
    assert ask(make_llm(config))["text"]
    assert env.account.counters["jwt_exchange"] == 1


_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@settings(max_examples=200, deadline=None)
@given(body=st.text(alphabet=_B64, min_size=1, max_size=400),
       label=st.sampled_from(["PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY"]),
       separators=st.lists(st.sampled_from([" ", "  ", "\t", "\r\n", "\n", "\\n"]), min_size=1, max_size=8))
def test_any_whitespace_layout_round_trips_to_the_canonical_pem(body, label, separators):
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    canonical = "\n".join(["-----BEGIN %s-----" % label] + lines + ["-----END %s-----" % label]) + "\n"
    parts = canonical.strip().split("\n")
    mangled = parts[0]
    for i, part in enumerate(parts[1:]):
        mangled += separators[i % len(separators)] + part
    assert rebuild_pem(mangled) == canonical
    assert rebuild_pem(canonical) == canonical
