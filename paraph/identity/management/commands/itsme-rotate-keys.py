"""``paraph itsme-rotate-keys``: give Paraph a new signing and encryption
key towards itsme.

Paraph signs with the new key at once and publishes both pairs at
/.well-known/jwks.json; the retired public keys stay published, and the
retired encryption key keeps decrypting what itsme still encrypts to it, for
``PARAPH_ITSME_KEY_GRACE_DAYS``. Keys past their grace period are dropped
from the file. Without a key file it makes the first pair (the way to create
``PARAPH_ITSME_KEYS_FILE`` for production). Every web process sees the new
file at its next request.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from paraph.audit.services import audit_record
from paraph.identity.providers.itsme import jwks


class Command(BaseCommand):
    help = (
        "Add a new itsme signing and encryption key; keep the old public keys for a grace period."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        rotation = jwks.rotate()
        audit_record(
            name="identity.itsme.keys_rotated",
            actor_label="paraph itsme-rotate-keys",
            data={
                "added": rotation.added,
                "retired": rotation.retired,
                "dropped": rotation.dropped,
            },
        )
        self.stdout.write(f"itsme keys in {jwks.keys_path()}")
        self.stdout.write(f"  new: {', '.join(rotation.added)}")
        if rotation.retired:
            self.stdout.write(
                f"  retired (still published for the grace period): {', '.join(rotation.retired)}"
            )
        if rotation.dropped:
            self.stdout.write(f"  dropped: {', '.join(rotation.dropped)}")
