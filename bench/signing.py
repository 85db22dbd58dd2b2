"""Signing throughput: Paraph's password signatures against naive pyHanko.

    .venv/bin/python bench/signing.py [--documents 40] [--big-mb 50]

Signs the same set of contract-like PDFs (3 to 10 pages, 50 KB to 2 MB) at
PAdES B-T, B-LT and B-LTA (Paraph's default) against the sandbox TSA:

- Paraph: one person's key unlocked once (argon2id, timed separately), as
  in batch signing, then ``engine.sign_pdf`` per document, each signature
  visible at the bottom of the last page (Paraph's appearance); the same
  without appearance is printed for reference;
- the baseline: the straightforward pyHanko usage, ``SimpleSigner.load``
  then ``signers.sign_pdf`` per document, with the same in-process TSA and
  the same visible field (pyHanko's default stamp).

It checks a sample of its own outputs with ``paraph verify``, prints
signatures per second for both, the time per signature next to a raw
RSA-2048 signature (the physical floor), the peak memory while signing a
large PDF, and ends with ``ratio_vs_naive_pyhanko=<x>`` at B-LTA (the
baseline then embeds validation data and adds a document time-stamp with
pyHanko's own options, ``embed_validation_info`` and ``use_pades_lta``,
fetching the OCSP answers and CRLs as Paraph does: the bench checks that
both outputs carry as many certificates, CRLs and OCSP answers).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asn1crypto import tsp
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper

from paraph.signing import engine, passwordkeys
from paraph.signing.providers.keys import SoftwareKey
from paraph.signing.providers.tsa import SandboxTimestampAuthority
from paraph.signing.tests.pdfs import contract_pdf
from paraph.signing.tests.pki import start_pki

SHAPES = [(3, 50_000), (5, 250_000), (7, 800_000), (10, 2_000_000)]
BOX = (36, 36, 294, 92)  # a visible signature at the bottom of the last page
PASSWORD = "a long signing password for the benchmark"


class _InProcessTimeStamper(TimeStamper):
    """pyHanko's TimeStamper over the same sandbox TSA as Paraph's."""

    def __init__(self, authority: SandboxTimestampAuthority) -> None:
        super().__init__()
        self._authority = authority

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(self._authority.request(req.dump()))


def _pem(path: Path, der_or_key: object) -> Path:
    if isinstance(der_or_key, bytes):
        from cryptography import x509

        cert = x509.load_der_x509_certificate(der_or_key)
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            der_or_key.private_bytes(  # type: ignore[attr-defined]
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


def _dss_counts(signed: bytes) -> tuple[int, int, int]:
    """Certificates, CRLs and OCSP answers in the document security store."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko.sign.validation.errors import NoDSSFoundError

    try:
        dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(signed)))
    except NoDSSFoundError:  # B-T
        return 0, 0, 0
    return len(dss.certs), len(dss.crls), len(dss.ocsps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=40)
    parser.add_argument("--big-mb", type=int, default=50)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="paraph-bench-"))
    pki = start_pki(work / "pki")
    ca = SoftwareKey(
        certificate=pki.cert_der("paraph-signing-ca"),
        chain=(pki.cert_der("paraph-root"),),
        private_key=pki.private_key("paraph-signing-ca"),
    )
    tsa = SandboxTimestampAuthority(
        key=SoftwareKey(
            certificate=pki.cert_der("paraph-tsa"),
            chain=(pki.cert_der("paraph-root"),),
            private_key=pki.private_key("paraph-tsa"),
        )
    )
    trust = engine.Trust(
        roots=(pki.cert_der("paraph-root"), pki.cert_der("belgium-root")),
        intermediates=(pki.cert_der("paraph-signing-ca"),),
    )
    configs = {
        level: engine.EngineConfig(trust=trust, timestamp_authority=tsa, level=level)
        for level in (engine.Level.B_T, engine.Level.B_LT, engine.Level.B_LTA)
    }
    config = configs[engine.Level.B_LTA]

    # The person's key, as a mandate issues it.
    from datetime import UTC, datetime, timedelta

    private_key = passwordkeys.generate_key_pair()
    now = datetime.now(tz=UTC)
    certificate = passwordkeys.issue_certificate(
        ca,
        private_key.public_key(),
        given_name="Emma",
        surname="Claes",
        national_number="78092301823",
        not_before=now - timedelta(minutes=5),
        not_after=now + timedelta(days=365),
    )
    ciphertext, kdf = passwordkeys.encrypt_private_key(
        private_key, PASSWORD, certificate=certificate
    )

    documents = [contract_pdf(pages=p, extra_bytes=b) for p, b in SHAPES]
    documents = [documents[i % len(documents)] for i in range(args.documents)]
    total_mb = sum(len(d) for d in documents) / 1e6
    print(f"documents: {len(documents)} ({total_mb:.1f} MB), shapes (pages, bytes): {SHAPES}")

    # --- Paraph: unlock once, sign many, each signature visible at the bottom
    # of the last page (the words in the signer's language, as services write them)
    t0 = time.perf_counter()
    key = passwordkeys.decrypt_private_key(
        ciphertext, kdf, PASSWORD, certificate=certificate, chain=(ca.certificate, *ca.chain)
    )
    unlock_s = time.perf_counter() - t0
    visible = engine.SignOptions(
        appearance=engine.Appearance(
            lines=(
                "Emma Claes",
                "Signé avec un mot de passe sous le mandat n° M-2026-00042",
                "15 juin 2026, 11:30 (heure de Bruxelles)",
            ),
            placement=engine.Placement(page=-1, box=BOX),
        )
    )
    key_file = _pem(work / "person.key.pem", private_key)
    cert_file = _pem(work / "person.cert.pem", certificate)
    chain_files = [_pem(work / "ca.pem", ca.certificate), _pem(work / "root.pem", ca.chain[0])]
    timestamper = _InProcessTimeStamper(tsa)
    # the same visible field, with pyHanko's default stamp
    field_spec = fields.SigFieldSpec("Signature1", on_page=-1, box=BOX)
    asyncio.run(timestamper.async_dummy_response("sha256"))  # warm-up, as Paraph's
    from pyhanko_certvalidator import ValidationContext

    def naive_meta(level: engine.Level) -> signers.PdfSignatureMetadata:
        long_term = level in (engine.Level.B_LT, engine.Level.B_LTA)
        return signers.PdfSignatureMetadata(
            field_name="Signature1",
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            embed_validation_info=long_term,
            use_pades_lta=level == engine.Level.B_LTA,
            # fetching allowed, as Paraph: both then embed the same
            # validation data (without it, pyHanko embeds no CRL at all and
            # the result is not a B-LT document)
            validation_context=ValidationContext(
                trust_roots=[pki.cert("paraph-root")], allow_fetching=True
            )
            if long_term
            else None,
        )

    timings: dict[engine.Level, tuple[float, float]] = {}
    for level, level_config in configs.items():
        engine.sign_pdf(documents[0], key=key, config=level_config, options=visible)  # warm-up
        t0 = time.perf_counter()
        paraph_out = [
            engine.sign_pdf(doc, key=key, config=level_config, options=visible) for doc in documents
        ]
        level_paraph_s = time.perf_counter() - t0
        # --- naive pyHanko: load the key and sign, per document
        meta = naive_meta(level)
        t0 = time.perf_counter()
        for doc in documents:
            signer = signers.SimpleSigner.load(
                str(key_file), str(cert_file), ca_chain_files=[str(f) for f in chain_files]
            )
            naive_out = signers.sign_pdf(
                IncrementalPdfFileWriter(io.BytesIO(doc)),
                meta,
                signer=signer,
                timestamper=timestamper,
                new_field_spec=field_spec,
            )
        timings[level] = (level_paraph_s, time.perf_counter() - t0)
        # the same work: as much validation data in both outputs
        ours, theirs = _dss_counts(paraph_out[-1]), _dss_counts(naive_out.getvalue())
        print(
            f"{level}: validation data embedded (certificates, CRLs, OCSP answers): "
            f"paraph {ours}, naive pyHanko {theirs}"
        )
        if ours[1:] != theirs[1:]:
            print("the two outputs do not carry the same revocation data: not comparable")
            sys.exit(1)
    paraph_s, naive_s = timings[engine.Level.B_LTA]
    t0 = time.perf_counter()
    for doc in documents:
        engine.sign_pdf(doc, key=key, config=config)
    invisible_s = time.perf_counter() - t0

    # --- the physical floor: one raw RSA-2048 signature
    n_raw = 2000
    t0 = time.perf_counter()
    for _ in range(n_raw):
        private_key.sign(b"x" * 51, padding.PKCS1v15(), hashes.SHA256())
    raw_ms = (time.perf_counter() - t0) / n_raw * 1000

    # --- a sample checked with `paraph verify`
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="paraph.settings",
        PARAPH_DATA_DIR=str(work / "data"),
        PARAPH_SIGNING_TRUST_ROOTS=f"{pki.pem_path('paraph-root')},{pki.pem_path('belgium-root')}",
        PARAPH_SIGNING_INTERMEDIATES=str(pki.pem_path("paraph-signing-ca")),
        PARAPH_SIGNING_SANDBOX_TSA_PKCS12="",
    )
    paraph_cmd = str(Path(sys.executable).with_name("paraph"))
    verified = 0
    for n, signed in enumerate(paraph_out[:: max(1, len(paraph_out) // 4)]):
        path = work / f"sample{n}.pdf"
        path.write_bytes(signed)
        result = subprocess.run(
            [paraph_cmd, "verify", str(path), "--json"], capture_output=True, text=True, env=env
        )
        report = json.loads(result.stdout or "{}")
        if result.returncode != 0 or not report.get("valid"):
            print(f"paraph verify refused sample {n}: {result.stdout}{result.stderr}")
            sys.exit(1)
        verified += 1

    # --- peak memory while signing a large PDF
    big = contract_pdf(pages=10, extra_bytes=args.big_mb * 1_000_000)
    big_config = engine.EngineConfig(
        trust=trust, timestamp_authority=tsa, level=config.level, max_bytes=len(big) + 1
    )
    tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    signed_big = engine.sign_pdf(big, key=key, config=big_config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del signed_big

    paraph_rate = len(documents) / paraph_s
    naive_rate = len(documents) / naive_s
    per_sig_ms = paraph_s / len(documents) * 1000
    print(
        f"password unlock (argon2id t={kdf['time_cost']}, m={kdf['memory_cost_kib']} KiB, "
        f"p={kdf['parallelism']}): {unlock_s * 1000:.0f} ms, once per batch"
    )
    for level, (level_paraph_s, level_naive_s) in timings.items():
        print(
            f"{level}: paraph {len(documents) / level_paraph_s:8.1f} signatures/s "
            f"({level_paraph_s / len(documents) * 1000:.2f} ms each), naive pyHanko "
            f"{len(documents) / level_naive_s:8.1f}/s: ratio {level_naive_s / level_paraph_s:.1f}"
        )
    print(
        f"paraph (B-LTA, the default): {paraph_rate:8.1f} signatures/s ({per_sig_ms:.2f} ms each, visible)"
    )
    print(
        f"  (invisible: {len(documents) / invisible_s:8.1f} signatures/s, "
        f"{invisible_s / len(documents) * 1000:.2f} ms each)"
    )
    print(
        f"naive pyHanko:{naive_rate:8.1f} signatures/s "
        f"({naive_s / len(documents) * 1000:.2f} ms each, visible, pyHanko's default stamp)"
    )
    print(
        f"raw RSA-2048 signature: {raw_ms:.3f} ms (floor); paraph per signature = "
        f"{per_sig_ms / raw_ms:.0f}x the floor"
    )
    print(f"paraph verify: {verified} sampled outputs valid")
    print(
        f"peak memory signing a {len(big) / 1e6:.0f} MB PDF: {(peak - before) / 1e6:.0f} MB "
        f"({(peak - before) / len(big):.2f}x the file)"
    )
    for level, (level_paraph_s, level_naive_s) in timings.items():
        print(
            f"ratio_vs_naive_pyhanko_{str(level).replace('-', '_')}={level_naive_s / level_paraph_s:.1f}"
        )
    print(f"ratio_vs_naive_pyhanko={paraph_rate / naive_rate:.1f}")


if __name__ == "__main__":
    main()
