"""gunicorn settings for a web node: `gunicorn -c config/gunicorn.py config.wsgi`.

With PROMETHEUS_MULTIPROC_DIR set (OPS-05), every worker writes its metrics to files in
that directory and /metrics adds them up: the directory is emptied when gunicorn starts
(counts of an earlier run would be added again), and a worker that exits is marked dead.
Other settings come from the command line or GUNICORN_CMD_ARGS (--bind, --workers).
"""

import os
import shutil
from pathlib import Path


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        path = Path(directory)
        if path.is_dir():
            for child in path.iterdir():
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
        path.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
