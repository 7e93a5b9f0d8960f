"""A worker process for the kill-and-restart tests:
`python -m tests.worker_child LOG_FILE [--once] [--pause-after-commit SECONDS]`.

The real Worker loop, IMAP source, pipeline and acknowledgement notifier (so acknowledgements are
proved to be queued once too), configured from the environment like `mediature worker`, but without
the triage suggester: loading its language model takes seconds per start, and the test restarts the
worker many times; suggestions play no part in what is stored once. `--pause-after-commit` widens
the window between a message's commit and its move on the server (a slow link would), so that random
kills land there often enough to exercise the recovery of committed-but-unmoved messages.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from triage import logs
from triage.config import load_settings
from triage.notify.acknowledge import Notifier
from triage.pipeline import Pipeline
from triage.records import DossierOutcome, RawMessage
from triage.runtime import Runtime
from triage.worker import Worker


def build_pipeline(rt: Runtime) -> Pipeline:
    """The pipeline of the kill tests and of their reference run."""
    return Pipeline(rt, suggester=None, notifier=Notifier.from_runtime(rt))


class PauseAfterCommit:
    """The pipeline, then a pause once the item's transaction has committed (before the move)."""

    def __init__(self, inner: Pipeline, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    def ingest_raw(self, raw: RawMessage) -> DossierOutcome:
        """Ingest, then wait."""
        outcome = self.inner.ingest_raw(raw)
        time.sleep(self.seconds)
        return outcome


def main() -> None:
    """Run the worker until SIGTERM (or one pass with --once)."""
    args = sys.argv[1:]
    log_file = Path(args[0])
    rt = Runtime.open(load_settings())
    logs.configure(file=log_file)
    pipeline: Any = build_pipeline(rt)
    if "--pause-after-commit" in args:
        pipeline = PauseAfterCommit(pipeline, float(args[args.index("--pause-after-commit") + 1]))
    try:
        Worker(rt, pipeline=pipeline).run(once="--once" in args)
    finally:
        rt.close()


if __name__ == "__main__":
    main()
