"""What the sandboxes (the local stand-ins for outside systems) share."""

from __future__ import annotations

from datetime import UTC, datetime

# The sandbox PKIs (Paraph's sandbox CA, seal and TSA; the virtual eID cards)
# are valid from this fixed moment, not from the day they were generated: a
# clock pinned by a test to any date since, or moved ahead by CI, or a
# machine's clock set a little wrong, still finds them valid. Their end is
# counted from the day they are made.
SANDBOX_VALID_FROM = datetime(2020, 1, 1, tzinfo=UTC)
# The sandbox's expired eID card expired long before any date a test pins.
SANDBOX_EXPIRED_CARD_UNTIL = datetime(2019, 12, 1, tzinfo=UTC)
