"""itsme's tokens, crafted here and fed to the validation directly: the
forgeries a real provider would never send (alg none, HMAC with the public
key, a key Paraph never published), the edges of each check, Paraph's own
request object and client assertion, and the address split."""

from __future__ import annotations

import base64
import datetime as dt
import hmac
import json
import shutil
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from joserfc import jwe, jws
from joserfc.jwk import OctKey, RSAKey

from paraph.identity.providers import IdentityError
from paraph.identity.providers.itsme import jwks
from paraph.identity.providers.itsme.claims import identity_claims, split_street_address
from paraph.identity.providers.itsme.oidc import (
    ACR_ADVANCED,
    ACR_BASIC,
    CLAIM_NATIONAL_NUMBER,
    ProviderMetadata,
    client_assertion,
    request_object,
    validate_id_token,
)
from paraph.identity.tests.oidc_peer.peer import fast_keys

ISSUER = "https://idp.e2e.itsme.services/v2"
CLIENT_ID = "paraph-client"
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
NOW_TS = int(NOW.timestamp())
ITSME_SIG = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256", "kid": "itsme-sig"})
ITSME_ENC = RSAKey.generate_key(2048, {"use": "enc", "alg": "RSA-OAEP-256", "kid": "itsme-enc"})
STRANGER = RSAKey.generate_key(2048, {"use": "sig", "alg": "RS256", "kid": "itsme-sig"})


class Keys:
    """itsme's published keys, as ProviderKeys hands them out."""

    def __init__(self, *keys: RSAKey) -> None:
        self.keys = keys

    def find(self, use: str, kid: str | None) -> list[RSAKey]:
        return [
            RSAKey.import_key(k.as_dict(private=False))
            for k in self.keys
            if k.get("use") == use and (kid is None or k.kid == kid)
        ]


ITSME_KEYS = Keys(ITSME_SIG, ITSME_ENC)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    """Paraph's keys, made once, as of NOW."""
    path = tmp_path_factory.mktemp("itsme-keys") / "keys.json"
    pinned = time_machine.travel(NOW, tick=False)
    with override_settings(ITSME_KEYS_FILE=str(path)), pinned, fast_keys():
        jwks.rotate()
    return path


@pytest.fixture(autouse=True)
def _paraph_keys(settings, tmp_path, key_file):
    shutil.copy(key_file, tmp_path / "keys.json")
    settings.ITSME_KEYS_FILE = str(tmp_path / "keys.json")
    settings.ITSME_KEY_GRACE_DAYS = 7
    with time_machine.travel(NOW, tick=False), fast_keys():
        yield


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def good_claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "sub": "pairwise-subject",
        "nonce": "the-nonce",
        "iat": NOW_TS - 5,
        "exp": NOW_TS + 300,
        "acr": ACR_BASIC,
        CLAIM_NATIONAL_NUMBER: "85073003328",
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def signed(claims: dict[str, Any], key: RSAKey = ITSME_SIG, header: dict | None = None) -> str:
    return jws.serialize_compact(
        header or {"alg": "RS256", "kid": key.kid}, json.dumps(claims), key, algorithms=["RS256"]
    )


def for_paraph(inner: str, *, key: RSAKey | None = None, header: dict | None = None) -> str:
    """Encrypted to Paraph's current encryption key (or ``key``)."""
    if key is None:
        key = next(iter(jwks.decryption_keys().values()))
    head = header or {"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256", "cty": "JWT", "kid": key.kid}
    return jwe.encrypt_compact(head, inner, key, algorithms=[head["alg"], head["enc"]])


def validate(token: str, *, acr: str = ACR_BASIC, keys: Keys = ITSME_KEYS) -> dict[str, Any]:
    return validate_id_token(
        token,
        keys=keys,  # type: ignore[arg-type]
        issuer=ISSUER,
        client_id=CLIENT_ID,
        nonce="the-nonce",
        acr_required=acr,
        now=NOW_TS,
    )


def refused_with(code: str, token: str, **kwargs: Any) -> None:
    with pytest.raises(IdentityError) as caught:
        validate(token, **kwargs)
    assert caught.value.code == code
    assert caught.value.message  # something the person can read


def test_a_well_formed_id_token_passes():
    claims = validate(for_paraph(signed(good_claims())))

    assert claims["sub"] == "pairwise-subject"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"iss": "https://idp.prd.itsme.services/v2"}, "id_token_issuer"),
        ({"aud": "someone-else"}, "id_token_audience"),
        ({"aud": [CLIENT_ID, "someone-else"]}, "id_token_audience"),  # no azp
        ({"exp": NOW_TS - 61}, "id_token_expired"),
        ({"exp": None}, "id_token_expired"),
        ({"iat": NOW_TS + 120}, "id_token_issued_at"),
        ({"iat": NOW_TS - 601}, "id_token_issued_at"),
        ({"nonce": "another-nonce"}, "id_token_nonce"),
        ({"nonce": None}, "id_token_nonce"),
        ({"sub": ""}, "id_token_subject"),
        ({"acr": None}, "acr_insufficient"),
        ({"acr": "urn:other:acr"}, "acr_insufficient"),
    ],
)
def test_each_claim_check_refuses(changes, code):
    refused_with(code, for_paraph(signed(good_claims(**changes))))


def test_several_audiences_pass_when_paraph_is_the_authorized_party():
    token = for_paraph(signed(good_claims(aud=[CLIENT_ID, "other"], azp=CLIENT_ID)))

    assert validate(token)["azp"] == CLIENT_ID


def test_a_clock_a_little_ahead_or_behind_is_tolerated():
    assert validate(for_paraph(signed(good_claims(iat=NOW_TS + 30, exp=NOW_TS - 30))))


def test_a_step_up_needs_acr_advanced():
    refused_with("acr_insufficient", for_paraph(signed(good_claims())), acr=ACR_ADVANCED)
    assert validate(for_paraph(signed(good_claims(acr=ACR_ADVANCED))), acr=ACR_ADVANCED)


def test_forged_signatures_are_refused():
    claims = json.dumps(good_claims())
    unsigned = f"{b64(json.dumps({'alg': 'none'}).encode())}.{b64(claims.encode())}."
    # The classic confusion: HMAC keyed with the provider's public key
    # (joserfc refuses to make one, so it is made by hand).
    head = b64(json.dumps({"alg": "HS256", "kid": "itsme-sig"}).encode())
    body = b64(claims.encode())
    mac = hmac.new(ITSME_SIG.as_pem(private=False), f"{head}.{body}".encode(), "sha256")
    confused = f"{head}.{body}.{b64(mac.digest())}"

    refused_with("id_token_signature", for_paraph(unsigned))
    refused_with("id_token_signature", for_paraph(confused))
    refused_with("id_token_signature", for_paraph(signed(good_claims(), key=STRANGER)))
    refused_with(
        "id_token_signature",
        for_paraph(signed(good_claims(), header={"alg": "RS256", "kid": "nobody"})),
    )
    refused_with("id_token_signature", for_paraph("not.a-jwt"))


def test_an_id_token_that_is_not_encrypted_for_paraph_is_refused():
    other = RSAKey.generate_key(2048, {"use": "enc", "kid": "someone-elses"})
    unknown_kid = for_paraph(signed(good_claims()), key=other)
    no_kid_wrong_key = for_paraph(
        signed(good_claims()),
        key=other,
        header={"alg": "RSA-OAEP-256", "enc": "A128CBC-HS256", "cty": "JWT"},
    )
    secret = OctKey.generate_key(128)
    symmetric = jwe.encrypt_compact(
        {"alg": "A128KW", "enc": "A128CBC-HS256"},
        signed(good_claims()),
        secret,
        algorithms=["A128KW", "A128CBC-HS256"],
    )

    refused_with("id_token_not_encrypted", signed(good_claims()))
    refused_with("id_token_undecryptable", unknown_kid)
    refused_with("id_token_undecryptable", no_kid_wrong_key)
    refused_with("id_token_undecryptable", symmetric)


def test_an_id_token_without_kid_is_decrypted_with_paraphs_key():
    token = for_paraph(
        signed(good_claims()), header={"alg": "RSA-OAEP-256", "enc": "A256CBC-HS512", "cty": "JWT"}
    )

    assert validate(token)["sub"] == "pairwise-subject"


def test_after_a_rotation_the_old_key_decrypts_for_the_grace_period_only():
    old_kid, old_key = next(iter(jwks.decryption_keys().items()))
    token = for_paraph(signed(good_claims()), key=old_key)

    jwks.rotate()

    assert old_kid in jwks.decryption_keys() and len(jwks.decryption_keys()) == 2
    assert validate(token)["sub"] == "pairwise-subject"
    with time_machine.travel(NOW + dt.timedelta(days=7, seconds=1), tick=False):
        assert old_kid not in jwks.decryption_keys()
        assert old_kid not in json.dumps(jwks.public_jwks())
        refused_with("id_token_undecryptable", token)


def test_the_request_object_is_signed_by_paraph_then_encrypted_for_itsme():
    metadata = ProviderMetadata.parse(
        ISSUER,
        {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/authorization",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "request_object_encryption_alg_values_supported": ["RSA-OAEP-256"],
            "request_object_encryption_enc_values_supported": ["A256GCM", "A128CBC-HS256"],
        },
    )

    token = request_object({"aud": ISSUER, "nonce": "n"}, metadata=metadata, keys=ITSME_KEYS)  # type: ignore[arg-type]

    outer = jwe.decrypt_compact(token, ITSME_ENC, algorithms=["RSA-OAEP-256", "A128CBC-HS256"])
    assert outer.headers() == {
        "alg": "RSA-OAEP-256",
        "enc": "A128CBC-HS256",
        "cty": "JWT",
        "kid": "itsme-enc",
    }
    assert outer.plaintext is not None
    inner = jws.deserialize_compact(outer.plaintext, jwks.signing_key(), algorithms=["RS256"])
    assert inner.headers() == {"alg": "RS256", "kid": jwks.signing_key().kid, "typ": "JWT"}
    assert json.loads(inner.payload) == {"aud": ISSUER, "nonce": "n"}


def test_the_client_assertion_names_paraph_and_the_token_endpoint():
    token = client_assertion(client_id=CLIENT_ID, token_endpoint=f"{ISSUER}/token", now=NOW_TS)

    verified = jws.deserialize_compact(token, jwks.signing_key(), algorithms=["RS256"])
    claims = json.loads(verified.payload)
    assert verified.headers()["kid"] == jwks.signing_key().kid
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == f"{ISSUER}/token"
    assert claims["exp"] == NOW_TS + 60 and len(claims["jti"]) >= 32
    other = client_assertion(client_id=CLIENT_ID, token_endpoint=f"{ISSUER}/token", now=NOW_TS)
    assert json.loads(jws.extract_compact(other.encode()).payload)["jti"] != claims["jti"]


@pytest.mark.parametrize(
    "document",
    [
        {"issuer": "https://idp.evil.example/v2"},
        {"request_object_encryption_alg_values_supported": ["RSA1_5"]},
        {"request_object_encryption_enc_values_supported": ["XC20P"]},
        {"token_endpoint": None},
    ],
)
def test_a_discovery_document_paraph_cannot_use_is_refused(document):
    base = {
        "issuer": ISSUER,
        "authorization_endpoint": f"{ISSUER}/authorization",
        "token_endpoint": f"{ISSUER}/token",
        "jwks_uri": f"{ISSUER}/jwks",
    }
    base.update(document)
    base = {k: v for k, v in base.items() if v is not None}

    with pytest.raises(IdentityError) as caught:
        ProviderMetadata.parse(ISSUER, base)
    assert caught.value.code == "discovery_invalid"


def test_an_invalid_national_number_is_refused():
    with pytest.raises(IdentityError) as caught:
        identity_claims(good_claims(**{CLAIM_NATIONAL_NUMBER: "85073003329"}))
    assert caught.value.code == "claims_invalid"


def test_a_person_without_a_belgian_national_number_still_gets_claims():
    claims = identity_claims(good_claims(**{CLAIM_NATIONAL_NUMBER: None}, phone_number="0470 12"))

    assert claims.national_number is None and claims.phone is None and claims.address is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Rue de la Loi 16", ("Rue de la Loi", "16", "")),
        ("Rue de la Loi 16 bte 3", ("Rue de la Loi", "16", "3")),
        ("Kerkstraat 12 bus 5", ("Kerkstraat", "12", "5")),
        ("Kerkstraat 12 Bus 5A", ("Kerkstraat", "12", "5A")),
        ("Hauptstraße 5B", ("Hauptstraße", "5B", "")),
        ("Avenue Louise 143/A", ("Avenue Louise", "143", "A")),
        ("Avenue Louise 143 / 12", ("Avenue Louise", "143", "12")),
        ("Chaussée de Waterloo 1234 boîte 12", ("Chaussée de Waterloo", "1234", "12")),
        ("Grote Markt 1 b 2", ("Grote Markt", "1", "2")),
        ("Rue du 11 Novembre 5", ("Rue du 11 Novembre", "5", "")),
        ("Steenweg 10-12", ("Steenweg", "10-12", "")),
        ("  Rue   Neuve   7  ", ("Rue Neuve", "7", "")),
        ("Domaine du Château", ("Domaine du Château", "", "")),
        ("", ("", "", "")),
    ],
)
def test_street_address_is_split_into_street_number_and_box(line, expected):
    assert split_street_address(line) == expected
