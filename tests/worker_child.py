"""A worker process for the kill-and-restart tests: `python -m tests.worker_child LOG_FILE [--once]`.

The real Worker loop, IMAP source, pipeline and acknowledgement notifier (so acknowledgements are
proved to be queued once too), configured from the environment like `mediature worker`, but without
the triage suggester: loading its language model takes seconds per start, and the test restarts the
worker many times; suggestions play no part in what is stored once.
"""

from __future__ import annotations

import sys
from pathlib import Path

from triage import logs
from triage.config import load_settings
from triage.notify.acknowledge import Notifier
from triage.pipeline import Pipeline
from triage.runtime import Runtime
from triage.worker import Worker


def build_pipeline(rt: Runtime) -> Pipeline:
    """The pipeline of the kill tests and of their reference run."""
    return Pipeline(rt, suggester=None, notifier=Notifier.from_runtime(rt))


def main() -> None:
    """Run the worker until SIGTERM (or one pass with --once)."""
    log_file = Path(sys.argv[1])
    rt = Runtime.open(load_settings())
    logs.configure(file=log_file)
    try:
        Worker(rt, pipeline=build_pipeline(rt)).run(once="--once" in sys.argv[2:])
    finally:
        rt.close()


if __name__ == "__main__":
    main()
