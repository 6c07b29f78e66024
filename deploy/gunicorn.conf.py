"""gunicorn settings for Lectern (DESIGN.md section 1): one process, many threads, per web instance, and a relay
process and a job worker beside it (below).

Flask-SocketIO runs in threading mode with simple-websocket: every open WebSocket holds a thread, so `threads`
bounds the live connections of one instance. Run more instances behind nginx (deploy/nginx.conf) with REDIS_URL
set, rather than more workers in one instance (Socket.IO sessions are not shared between workers).
"""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
worker_class = "gthread"
workers = 1
threads = int(os.environ.get("LECTERN_THREADS", "100"))
timeout = 120  # long uploads; WebSocket threads are not subject to it in gthread
graceful_timeout = 20
# nginx logs every request in front of the instances (deploy/): LECTERN_ACCESS_LOG=off spares each one formatting
# a second line (a few percent of a quiz save's CPU). `make run` logs them.
accesslog = None if os.environ.get("LECTERN_ACCESS_LOG", "on") == "off" else "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25.1+ opens a control socket for `gunicornc` at one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl): the web instances of one machine would take it from one another. systemd (or the
# walk-through's shell) controls them instead.
control_socket_disable = True

# The lectures' media run in a relay process of their own, not in the web process (its pages would take the
# relay's interpreter lock). Unless LECTERN_RELAYS names relays run as services (deploy/), `make run` starts one on
# loopback beside the web app, before gunicorn forks its worker, and ends it with gunicorn.
# Background jobs (course imports, replays) run in a worker process, `flask lectern worker`: unless
# LECTERN_JOBS_WORKER=service (workers run as services: deploy/lectern-worker.service), `make run` starts one beside
# the web app as well, and ends it with gunicorn.
_relay = None
_worker = None


def on_starting(server):
    global _relay, _worker
    if os.environ.get("LECTERN_JOBS_WORKER", "embedded") != "service":
        from lectern.platform.jobs.embedded import EmbeddedWorker

        _worker = EmbeddedWorker()
        server.log.info("job worker: %s", _worker.start())
    if os.environ.get("LECTERN_RELAYS"):
        return
    from lectern.webrtc.relay.embedded import EmbeddedRelay

    _relay = EmbeddedRelay()
    os.environ.update(_relay.start())
    server.log.info("relay process listening on %s", _relay.url)


def on_exit(server):
    if _relay is not None:
        _relay.stop()
    if _worker is not None:
        _worker.stop()
