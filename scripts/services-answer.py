"""Exit 0 when PostgreSQL and Redis answer at the given URLs, 1 otherwise.

    .venv/bin/python scripts/services-answer.py DATABASE_URL REDIS_URL

`make test` uses it outside CI to decide whether the PostgreSQL + Redis
run can happen on this machine (an open port is not enough: PostgreSQL
must also accept the connection without a password).
"""

from __future__ import annotations

import sys
from urllib.parse import urlsplit, urlunsplit


def postgres_answers(url: str) -> str | None:
    import psycopg

    # The test run creates its own database: connect to the maintenance one.
    parts = urlsplit(url)
    try:
        psycopg.connect(urlunsplit(parts._replace(path="/postgres")), connect_timeout=3).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432}: {str(exc).strip()}"
    return None


def redis_answers(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        return f"Redis at {url}: {exc}"
    return None


def main() -> int:
    database_url, redis_url = sys.argv[1:3]
    problems = [p for p in (postgres_answers(database_url), redis_answers(redis_url)) if p]
    for problem in problems:
        print(problem.splitlines()[0])
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
