"""The file-system document storage writes a file whole or not at all, and
a legal document is read only once its SHA-256 is the recorded one."""

from __future__ import annotations

import hashlib
import os

import pytest
from django.core.files.base import ContentFile

from paraph.core.storage import (
    DocumentUnavailable,
    FileSystemDocumentStorage,
    document_open,
    object_copy,
    stored_names,
)


def test_a_file_is_linked_into_place_whole_and_never_replaces_another(tmp_path):
    storage = FileSystemDocumentStorage(location=tmp_path)

    first = storage.save("contracts/1/signed.pdf", ContentFile(b"%PDF first"))
    second = storage.save("contracts/1/signed.pdf", ContentFile(b"%PDF second"))

    assert first == "contracts/1/signed.pdf" and second != first
    assert (tmp_path / first).read_bytes() == b"%PDF first"
    assert (tmp_path / second).read_bytes() == b"%PDF second"
    # No temporary file left behind.
    assert sorted(os.listdir(tmp_path / "contracts" / "1")) == sorted(
        [os.path.basename(first), os.path.basename(second)]
    )
    assert sorted(stored_names(storage)) == sorted([first, second])


def test_a_document_is_read_only_with_its_recorded_hash(tmp_path):
    storage = FileSystemDocumentStorage(location=tmp_path)
    name = storage.save("a.pdf", ContentFile(b"%PDF the one signed"))
    right = hashlib.sha256(b"%PDF the one signed").hexdigest()

    with document_open(storage=storage, name=name, sha256=right, what="signed") as handle:
        assert handle.read() == b"%PDF the one signed"
    with pytest.raises(DocumentUnavailable) as altered:
        document_open(storage=storage, name=name, sha256="0" * 64, what="signed", ref="contract X")
    with pytest.raises(DocumentUnavailable) as missing:
        document_open(storage=storage, name="b.pdf", sha256=right, what="signed")

    assert altered.value.reason == "altered"
    assert str(altered.value).startswith("contract X: the stored signed PDF 'a.pdf' does not match")
    assert missing.value.reason == "missing" and "is missing" in str(missing.value)


def test_a_copy_is_checked_and_skipped_when_already_there(tmp_path):
    source = FileSystemDocumentStorage(location=tmp_path / "from")
    target = FileSystemDocumentStorage(location=tmp_path / "to")
    name = source.save("x/a.pdf", ContentFile(b"%PDF a"))
    sha256 = hashlib.sha256(b"%PDF a").hexdigest()

    assert object_copy(source=source, target=target, name=name, sha256=sha256) is True
    assert object_copy(source=source, target=target, name=name, sha256=sha256) is False
    assert (tmp_path / "to" / "x" / "a.pdf").read_bytes() == b"%PDF a"
    with pytest.raises(DocumentUnavailable):
        object_copy(source=source, target=target, name=name, sha256="1" * 64)
