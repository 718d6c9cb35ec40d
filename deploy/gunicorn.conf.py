"""gunicorn with uvicorn-worker, for operators who run Python services under gunicorn:

    gunicorn -c deploy/gunicorn.conf.py 'app:served_app()'

Each worker builds the app from the environment (logging as UPL_LOG_FORMAT says); metrics of all
workers are shared through PROMETHEUS_MULTIPROC_DIR (set it to an empty directory), and a worker
that exits has its live gauges removed.
"""

import os

from prometheus_client import multiprocess

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "uvicorn_worker.UvicornWorker"
graceful_timeout = 10
timeout = 30
accesslog = None  # the app writes one line per request (web/observe.py)


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
