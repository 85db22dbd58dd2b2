"""Properties of the Web eID validator, for any input hypothesis finds:
it refuses with a WebEidError (never another exception), and a token is
valid only for the exact origin, challenge and signature the card made.
OCSP is off here (``ocsp=False``): the examples in test_webeid.py cover
it, and these properties are about the token itself."""

# The fixtures imported from webeid_support are used as test arguments.
# ruff: noqa: F811

from __future__ import annotations

import base64
import json
import string

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from paraph.identity.providers.eid import webeid
from paraph.identity.tests.webeid_support import (  # noqa: F401 - fixture
    ORIGIN,
    card_token,
    config_for,
    new_challenge,
    pki,
)

SETTINGS = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
CARDS = st.sampled_from(["jan", "marie", "ahmed"])


def _refusal(token, *, challenge, config) -> str:
    with pytest.raises(webeid.WebEidError) as caught:
        webeid.token_validate(token, challenge=challenge, config=config)
    return caught.value.code


@SETTINGS
@given(raw=st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_arbitrary_bytes_or_text_are_refused_cleanly(pki, raw):
    code = _refusal(raw, challenge=new_challenge(), config=config_for(pki, ocsp=False))

    assert code in webeid.MESSAGES


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=10,
)
FIELDS = ["unverifiedCertificate", "algorithm", "signature", "format", "appVersion"]


@SETTINGS
@given(
    card=CARDS,
    replacements=st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, min_size=1, max_size=5),
)
def test_any_field_replaced_by_any_json_value_is_refused_cleanly(pki, card, replacements):
    challenge = new_challenge()
    token = card_token(pki, card, challenge=challenge)
    mangled = {**token, **replacements}
    assume(any(mangled[name] != token[name] for name in FIELDS if name != "appVersion"))

    code = _refusal(json.dumps(mangled), challenge=challenge, config=config_for(pki, ocsp=False))

    assert code in webeid.MESSAGES


@SETTINGS
@given(card=CARDS, data=st.data())
def test_any_flipped_bit_of_the_signature_is_refused(pki, card, data):
    challenge = new_challenge()
    token = card_token(pki, card, challenge=challenge)
    signature = bytearray(base64.b64decode(token["signature"]))
    bit = data.draw(st.integers(0, len(signature) * 8 - 1))
    signature[bit // 8] ^= 1 << (bit % 8)
    token["signature"] = base64.b64encode(bytes(signature)).decode()

    assert _refusal(token, challenge=challenge, config=config_for(pki, ocsp=False)) == (
        "signature_invalid"
    )


@SETTINGS
@given(card=CARDS, data=st.data())
def test_any_flipped_byte_of_the_certificate_is_refused(pki, card, data):
    challenge = new_challenge()
    token = card_token(pki, card, challenge=challenge)
    der = bytearray(base64.b64decode(token["unverifiedCertificate"]))
    index = data.draw(st.integers(0, len(der) - 1))
    der[index] ^= data.draw(st.integers(1, 255))
    token["unverifiedCertificate"] = base64.b64encode(bytes(der)).decode()

    # Whatever the byte changed (structure, name, validity, key, extension,
    # CA signature), the token is refused: never a changed certificate accepted.
    code = _refusal(token, challenge=challenge, config=config_for(pki, ocsp=False))

    assert code in webeid.MESSAGES


HOSTS = st.text(string.ascii_lowercase + string.digits + "-.", min_size=1, max_size=30)


@SETTINGS
@given(
    card=CARDS,
    scheme=st.sampled_from(["http", "https"]),
    host=HOSTS,
    port=st.none() | st.integers(1, 65535),
)
def test_a_token_is_valid_only_for_paraphs_exact_origin(pki, card, scheme, host, port):
    origin = f"{scheme}://{host}" + (f":{port}" if port else "")
    assume(origin != ORIGIN)
    challenge = new_challenge()
    token = card_token(pki, card, challenge=challenge, origin=origin)

    assert _refusal(token, challenge=challenge, config=config_for(pki, ocsp=False)) == (
        "signature_invalid"
    )


@SETTINGS
@given(card=CARDS, other=st.text(min_size=1, max_size=100))
def test_a_token_is_valid_only_for_its_challenge(pki, card, other):
    challenge = new_challenge()
    assume(other != challenge)
    token = card_token(pki, card, challenge=challenge)

    assert _refusal(token, challenge=other, config=config_for(pki, ocsp=False)) == (
        "signature_invalid"
    )


@SETTINGS
@given(card=CARDS)
def test_the_genuine_token_always_passes(pki, card):
    challenge = new_challenge()
    token = card_token(pki, card, challenge=challenge)

    identity = webeid.token_validate(token, challenge=challenge, config=config_for(pki, ocsp=False))

    assert len(identity.national_number) == 11 and identity.national_number.isdigit()


@settings(max_examples=200)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP", "Https"]),
    host=st.from_regex(
        r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True
    ),
    port=st.none() | st.integers(1, 65535),
    path=st.sampled_from(["", "/", "/app/", "/a?b=c"]),
)
def test_an_origin_is_stable_and_has_no_default_port_or_path(scheme, host, port, path):
    url = f"{scheme}://{host}" + (f":{port}" if port else "") + path

    origin = webeid.origin_from_url(url)

    assert webeid.origin_from_url(origin) == origin
    assert not origin.endswith("/") and origin.count("/") == 2
    assert not origin.endswith((":80", ":443")) or (
        (origin.startswith("https:") and origin.endswith(":80"))
        or (origin.startswith("http:") and origin.endswith(":443"))
    )


@settings(max_examples=50)
@given(st.integers(1, 20))
def test_challenges_are_distinct_256_bit_values(count):
    nonces = [webeid.challenge_issue({}) for _ in range(count)]

    assert len(set(nonces)) == count
    assert all(len(base64.b64decode(n, validate=True)) == 32 for n in nonces)
