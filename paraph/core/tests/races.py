"""Two (or more) things done at the same moment, each in its own thread
and database connection: what a race between requests or workers needs
(real row locks: the ``postgres``-marked tests)."""

from __future__ import annotations

import threading
from typing import Any

from django.db import connection


def race(*actions: Any) -> list[Any]:
    """Run the actions in threads started together; their results or errors."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(i: int, action: Any) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except BaseException as exc:  # the loser's refusal is the point
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
