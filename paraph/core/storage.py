"""Where documents are kept, and how a legal document is read back.

Every file Paraph keeps (a sender's original, the sealed document to sign,
the signed PDF, a bulk send's staged uploads, the page-image cache) goes
through Django's storage API, never a path under ``MEDIA_ROOT``. Settings
choose the backend (``PARAPH_STORAGE``, docs/operations.md "Document
storage"; ADR 21):

* :class:`FileSystemDocumentStorage`, the embedded default: a folder every
  node mounts, each file written under another name then linked into
  place, so a reader never sees half a file;
* :class:`S3DocumentStorage`: any S3-compatible object store, through
  django-storages and boto3, with no signed URL ever made (a legal
  document is served by Paraph, behind its own checks, never by a link).

A legal document is read only through :func:`document_open`: its SHA-256 is checked
against the one the database row holds before a single byte is served. A
missing or altered object raises :class:`DocumentUnavailable`, and is
counted in :data:`DOCUMENTS_REFUSED` for ``/metrics``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from prometheus_client import Counter
from storages.backends.s3 import S3Storage

logger = logging.getLogger(__name__)

# Read and hashed this much at a time: a 50 MB PDF never sits in memory.
CHUNK_BYTES = 1024 * 1024
# A verified copy stays in memory up to this size, then goes to a temporary file.
SPOOL_BYTES = 1024 * 1024

DOCUMENTS_REFUSED = Counter(
    "paraph_documents_refused",
    "Legal documents refused on reading because the stored object is missing "
    "or its SHA-256 differs from the database's (what: original, document, "
    "signed, mandate; file during storage-migrate; reason: missing, altered). "
    "Any increase is an alert.",
    ["what", "reason"],
)


class DocumentUnavailable(Exception):
    """A legal document cannot be served: the object is missing from the
    storage (``reason="missing"``) or its bytes are not the ones whose
    SHA-256 the database holds (``reason="altered"``). Never served then."""

    def __init__(self, *, what: str, name: str, reason: str, ref: str = "") -> None:
        self.what = what
        self.name = name
        self.reason = reason
        self.ref = ref
        if reason == "missing":
            detail = f"the stored {what} PDF {name!r} is missing from document storage"
        else:
            detail = (
                f"the stored {what} PDF {name!r} does not match the SHA-256 the database "
                "holds: it was altered or replaced outside Paraph"
            )
        super().__init__(f"{ref}: {detail}" if ref else detail)


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


def sha256_of(storage: Storage, name: str) -> str:
    """The SHA-256 of the stored object ``name``, read a chunk at a time;
    :class:`FileNotFoundError` when there is none."""
    digest = hashlib.sha256()
    with storage.open(name, "rb") as handle:
        for chunk in _chunks(handle):
            digest.update(chunk)
    return digest.hexdigest()


def _refuse(*, what: str, name: str, reason: str, ref: str) -> DocumentUnavailable:
    DOCUMENTS_REFUSED.labels(what=what, reason=reason).inc()
    return DocumentUnavailable(what=what, name=name, reason=reason, ref=ref)


def document_open(
    *, storage: Storage, name: str, sha256: str, what: str, ref: str = ""
) -> File[Any]:
    """The stored object ``name`` as a file open for reading at its start,
    once its bytes hash to ``sha256``. The bytes are copied, as they are
    hashed, into a temporary file (in memory up to :data:`SPOOL_BYTES`),
    and that copy is what the caller reads: what was checked is what is
    served, even if the object changes meanwhile. Raises
    :class:`DocumentUnavailable` for a missing or altered object (``what``
    and ``ref`` name it in the message); a storage that does not answer
    raises its own error, as any outage does. The caller closes the file
    (a :class:`~django.http.FileResponse` does)."""
    if not name:
        raise _refuse(what=what, name=name, reason="missing", ref=ref)
    copy = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - returned open
    digest = hashlib.sha256()
    try:
        with storage.open(name, "rb") as handle:
            for chunk in _chunks(handle):
                digest.update(chunk)
                copy.write(chunk)
    except FileNotFoundError:
        copy.close()
        raise _refuse(what=what, name=name, reason="missing", ref=ref) from None
    except BaseException:
        copy.close()
        raise
    if digest.hexdigest() != sha256:
        copy.close()
        raise _refuse(what=what, name=name, reason="altered", ref=ref)
    copy.seek(0)
    return File(copy, name=os.path.basename(name))


# --- Every stored legal document, whichever app keeps it ------------------------------------

_DOCUMENT_SOURCES: dict[str, Callable[[], Iterator[tuple[str, str]]]] = {}


def stored_documents_register(name: str, source: Callable[[], Iterator[tuple[str, str]]]) -> None:
    """Make ``source()`` part of :func:`stored_documents`: the ``(name,
    sha256)`` of every file the app's rows refer to (``""`` when no hash is
    recorded). Apps register in ``ready()``, as they register sweeps."""
    _DOCUMENT_SOURCES[name] = source


def stored_documents() -> Iterator[tuple[str, str]]:
    """``(name, sha256)`` of every document the database refers to, app by
    app (what ``paraph storage-migrate`` copies)."""
    for source in _DOCUMENT_SOURCES.values():
        yield from source()


@contextmanager
def files_removed_on_failure(storage: Storage) -> Iterator[list[str]]:
    """Objects whose names the block appends to the list are deleted from
    ``storage`` when the block fails: a row and its documents are stored
    whole, or not at all."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for name in written:
            try:
                storage.delete(name)
            # An object store raises its own errors, not OSError.
            except Exception:  # pragma: no cover - logged; the error that matters is re-raised
                logger.exception("could not remove %s after a failed write", name)
        raise


def stored_names(storage: Storage, folder: str = "") -> list[str]:
    """Every object's name under ``folder``, in every sub-folder."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    prefix = f"{folder.rstrip('/')}/" if folder else ""
    names = [prefix + name for name in files]
    for sub in folders:
        names.extend(stored_names(storage, prefix + sub))
    return names


# --- Copying between storages (paraph storage-migrate) ------------------------------------


def object_copy(*, source: Storage, target: Storage, name: str, sha256: str = "") -> bool:
    """Copy the object ``name`` from ``source`` to ``target`` under the same
    name, checked: the source must hash to ``sha256`` (when the database
    holds one; else to what it hashes to now) and so must the copy, read
    back. False when ``target`` already holds it with that hash (a run
    that was interrupted goes on where it stopped); True once copied.
    Raises :class:`DocumentUnavailable` for a source missing or altered
    (nothing is written then) and :class:`OSError` for a copy that does
    not read back right."""
    expected = sha256
    if not expected:
        try:
            expected = sha256_of(source, name)
        except FileNotFoundError:
            raise DocumentUnavailable(what="file", name=name, reason="missing") from None
    try:
        if sha256_of(target, name) == expected:
            return False
    except FileNotFoundError:
        pass
    with document_open(storage=source, name=name, sha256=expected, what="file") as handle:
        if target.exists(name):
            target.delete(name)  # a partial or wrong copy of an earlier run
        saved = target.save(name, handle)
    if saved != name:
        raise OSError(f"{name!r} was stored as {saved!r}")
    if sha256_of(target, name) != expected:
        raise OSError(f"the copy of {name!r} does not read back with its SHA-256")
    return True


# --- Backends -----------------------------------------------------------------------------


class FileSystemDocumentStorage(FileSystemStorage):
    """Django's file-system storage, but a file appears whole or not at
    all: it is written to a temporary file in the same folder, flushed to
    disk, then linked to its name (never replacing a file already there,
    as Django's storage never does)."""

    def _save(self, name: str, content: File[Any]) -> str:
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        if self.directory_permissions_mode is not None:
            os.chmod(directory, self.directory_permissions_mode)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as handle:
                if hasattr(content, "seek"):
                    content.seek(0)
                for chunk in content.chunks():
                    handle.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                handle.flush()
                os.fsync(handle.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            while True:
                try:
                    os.link(temporary, full_path)
                    break
                except FileExistsError:
                    # Another writer took the name meanwhile: as Django's
                    # storage does, this file gets another one.
                    name = self.get_available_name(name)
                    full_path = self.path(name)
        finally:
            os.unlink(temporary)
        return str(name).replace("\\", "/")


class S3DocumentStorage(S3Storage):
    """django-storages' S3 backend, for any S3-compatible object store
    (AWS S3, SeaweedFS, MinIO, Ceph...). Never a signed URL, never a
    public object: a document is fetched by Paraph and served behind its
    checks, so ``querystring_auth`` and ACLs are off whatever the options
    say."""

    def __init__(self, **settings: Any) -> None:
        settings["querystring_auth"] = False
        settings["default_acl"] = None
        super().__init__(**settings)
