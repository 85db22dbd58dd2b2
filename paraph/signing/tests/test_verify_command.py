"""``paraph verify``: exit codes and the JSON report."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from paraph.signing import services


def _verify(capsys, path, *args):
    with pytest.raises(SystemExit) as exit_:
        call_command("verify", str(path), *args)
    return exit_.value.code, capsys.readouterr().out


@pytest.mark.django_db
def test_valid_document_exits_0_with_a_json_report(signing_settings, contract, tmp_path, capsys):
    path = tmp_path / "sealed.pdf"
    path.write_bytes(services.seal_apply(document=contract, document_ref="c"))

    code, out = _verify(capsys, path, "--json")

    assert code == 0
    report = json.loads(out)
    assert report["valid"] is True
    (sig,) = report["signatures"]
    assert sig["signer"] == "Paraph seal (Paraph test)" and sig["level"] == "B-T"
    assert sig["timestamp_authority"] == "Paraph Sandbox TSA (Paraph test)"
    assert sig["intact"] and sig["trusted"] and sig["covers_whole_document"]

    code, text = _verify(capsys, path)
    assert code == 0 and "PAdES level:            B-T" in text and "Document: VALID" in text


@pytest.mark.django_db
def test_tampered_or_unsigned_exits_1(signing_settings, contract, tmp_path, capsys):
    tampered = tmp_path / "tampered.pdf"
    signed = services.seal_apply(document=contract, document_ref="c")
    tampered.write_bytes(signed.replace(b"/BaseFont /Helvetica", b"/BaseFont /Helvetico", 1))
    unsigned = tmp_path / "unsigned.pdf"
    unsigned.write_bytes(contract)

    assert _verify(capsys, tampered, "--json")[0] == 1
    code, text = _verify(capsys, tampered)
    assert code == 1 and "intact:                 NO" in text
    assert "trusted:                not checked (the signed content was changed)" in text
    code, out = _verify(capsys, unsigned, "--json")
    assert code == 1 and json.loads(out) == {"valid": False, "signatures": []}


@pytest.mark.django_db
def test_unreadable_input_exits_2(signing_settings, tmp_path, capsys):
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"this is not a pdf")

    code, out = _verify(capsys, junk, "--json")
    assert code == 2 and json.loads(out)["error"] == "not_pdf"
    assert _verify(capsys, tmp_path / "missing.pdf")[0] == 2
