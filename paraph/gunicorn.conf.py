"""gunicorn's configuration for ``paraph serve`` (ADR 26): the production
web server, behind a TLS proxy on the same machine (deploy/nginx/paraph.conf).

Every value can be changed by the environment (the systemd unit's
EnvironmentFile): PARAPH_BIND (or PORT), PARAPH_WEB_WORKERS,
PARAPH_WEB_THREADS, PARAPH_WEB_TIMEOUT, PARAPH_FORWARDED_ALLOW_IPS.
"""

import os

# Loopback only by default: the proxy in front terminates TLS.
bind = [os.environ.get("PARAPH_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]

# Threads serve the requests that wait on the database, Redis or a provider;
# processes use the cores. Two processes of four threads fit a small machine.
worker_class = "gthread"
workers = int(os.environ.get("PARAPH_WEB_WORKERS", "2"))
threads = int(os.environ.get("PARAPH_WEB_THREADS", "4"))

# A request that takes longer than this is a bug: its worker is restarted.
# Signing (PAdES + time-stamp) and PDF uploads stay well below; the proxy's
# proxy_read_timeout is a little longer, so gunicorn answers first.
timeout = int(os.environ.get("PARAPH_WEB_TIMEOUT", "60"))
# On SIGTERM (systemd stop, an upgrade) the requests under way finish.
graceful_timeout = 30
# The proxy keeps its connections to gunicorn open between requests.
keepalive = 5
# A worker is replaced after this many requests (a slow leak stays small),
# not all at the same time.
max_requests = 2000
max_requests_jitter = 200
# The heartbeat file of each worker lives in memory, not on a slow disk.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# X-Forwarded-For/-Proto are believed only from the proxy on this machine.
forwarded_allow_ips = os.environ.get("PARAPH_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access and error lines go through Paraph's logging (PARAPH_LOG_FORMAT):
# one JSON object per line, like the application's own lines.
logger_class = "paraph.operations.serving.ParaphLogger"
accesslog = "-"
errorlog = "-"
# Each worker loads Django itself: nothing opened at start-up (a database
# or Redis connection) is shared between processes.
preload_app = False
wsgi_app = "paraph.wsgi:application"
# No control socket (gunicorn ≥ 25): systemd and signals run the server, and
# two servers on one machine would share its default path.
control_socket_disable = True
