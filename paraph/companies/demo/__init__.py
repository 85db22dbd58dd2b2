"""A small sample of the KBO open-data export (a full extract in the
published format: 16 enterprises with their names in French, Dutch, German
and English, addresses and establishments), loaded by ``paraph demo``."""

from pathlib import Path

DEMO_KBO_DIR = Path(__file__).resolve().parent / "kbo"
