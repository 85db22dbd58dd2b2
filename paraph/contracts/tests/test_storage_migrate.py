"""``paraph storage-migrate``: every stored document copied from the file
system to S3 (SeaweedFS on loopback) and back, each checked against the
SHA-256 its row holds; a run that was interrupted goes on where it
stopped; a document altered in the source is not copied and fails the run."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.management import call_command

from paraph.contracts.documents import contract_document_read
from paraph.contracts.models import Contract
from paraph.contracts.services import contract_sign_record
from paraph.contracts.tests.fixtures import signed_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_disk(s3_storage, settings, tmp_path, make_contract, clock):
    """Three contracts (one signed: seven files) stored on the file system;
    S3 configured beside it, empty."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": settings.DOCUMENT_STORAGES["filesystem"]}
    contracts = [make_contract(recipient={"email": f"p{n}@example.be"}) for n in range(3)]
    first = contracts[0]
    with first.document_pdf.open("rb") as handle:
        document = handle.read()
    contract_sign_record(
        contract=first,
        person=first.recipient,
        signed_pdf=signed_version(document),
        method="eid",
    )
    return s3_storage


def _names() -> dict[str, str]:
    names = {}
    for contract in Contract.objects.all():
        names[contract.original_pdf.name] = contract.original_sha256
        names[contract.document_pdf.name] = contract.document_sha256
        if contract.signed_pdf:
            names[contract.signed_pdf.name] = contract.signed_sha256
    return names


def _in_bucket(s3_storage) -> dict[str, str]:
    client, bucket, prefix = s3_storage
    listed = client.list_objects_v2(Bucket=bucket, Prefix=f"{prefix}/").get("Contents", [])
    return {
        entry["Key"][len(prefix) + 1 :]: hashlib.sha256(
            client.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
        ).hexdigest()
        for entry in listed
    }


def _use(settings, storage: str) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": settings.DOCUMENT_STORAGES[storage]}


def test_documents_move_to_s3_and_back_checked(on_disk, settings, tmp_path, capsys):
    expected = _names()
    assert len(expected) == 7

    call_command("storage-migrate", "--to", "s3")

    assert "7 copied, 0 already there, 0 failed" in capsys.readouterr().out
    assert _in_bucket(on_disk) == expected
    # Paraph switched to S3 reads the same documents, checked.
    _use(settings, "s3")
    signed = Contract.objects.exclude(signed_pdf="").get()
    assert hashlib.sha256(contract_document_read(contract=signed, which="signed")).hexdigest() == (
        signed.signed_sha256
    )

    # And back, to an empty folder.
    settings.MEDIA_ROOT = tmp_path / "media-again"
    call_command("storage-migrate", "--to", "filesystem")

    assert "7 copied, 0 already there, 0 failed" in capsys.readouterr().out
    root = Path(settings.MEDIA_ROOT)
    assert {
        name: hashlib.sha256((root / name).read_bytes()).hexdigest() for name in expected
    } == expected


def test_an_interrupted_migration_goes_on_where_it_stopped(on_disk, monkeypatch, capsys):
    from paraph.contracts import documents

    real = documents.object_copy
    calls: list[str] = []

    def interrupted(**kwargs):
        if len(calls) == 3:
            raise KeyboardInterrupt  # the operator's Ctrl-C, a node going down
        calls.append(kwargs["name"])
        return real(**kwargs)

    monkeypatch.setattr(documents, "object_copy", interrupted)
    with pytest.raises(KeyboardInterrupt):
        call_command("storage-migrate", "--to", "s3")
    assert len(_in_bucket(on_disk)) == 3
    monkeypatch.setattr(documents, "object_copy", real)

    call_command("storage-migrate", "--to", "s3")

    assert "4 copied, 3 already there, 0 failed" in capsys.readouterr().out
    assert _in_bucket(on_disk) == _names()
    # Run again: nothing left to do.
    call_command("storage-migrate", "--to", "s3")
    assert "0 copied, 7 already there, 0 failed" in capsys.readouterr().out


def test_a_document_altered_on_disk_is_not_copied_and_fails_the_run(
    on_disk, settings, capsys, caplog
):
    contract = Contract.objects.exclude(signed_pdf="").get()
    path = Path(settings.MEDIA_ROOT) / contract.signed_pdf.name
    path.write_bytes(path.read_bytes() + b"% changed\n")

    with pytest.raises(SystemExit) as stopped:
        call_command("storage-migrate", "--to", "s3")

    assert stopped.value.code == 1
    captured = capsys.readouterr()
    assert "6 copied, 0 already there, 1 failed" in captured.out
    assert contract.signed_pdf.name in captured.err and "does not match" in captured.err
    assert contract.signed_pdf.name not in _in_bucket(on_disk)


def test_a_wrong_copy_left_in_the_target_is_replaced(on_disk, capsys):
    client, bucket, prefix = on_disk
    contract = Contract.objects.exclude(signed_pdf="").get()
    client.put_object(Bucket=bucket, Key=f"{prefix}/{contract.signed_pdf.name}", Body=b"half a")

    call_command("storage-migrate", "--to", "s3")

    assert "7 copied, 0 already there, 0 failed" in capsys.readouterr().out
    assert _in_bucket(on_disk)[contract.signed_pdf.name] == contract.signed_sha256
