"""CPU seconds per event of import, rebuild and append: `python -m tests.bench.cpu BACKEND COUNT`.

Process CPU time moves less than wall time with other work on the machine, so this is what
compares one version of the hot paths with another (run it from each checkout).
"""

from __future__ import annotations

import json
import sys
import time

from events.db import make_engine, writing
from events.interchange import parse_event
from events.store import append, import_lines
from projections.rebuild import project, rebuild
from tests.bench.databases import scratch
from tests.bench.synth import synthetic_events

APPENDS = 300


def main(argv: list[str]) -> None:
    backend, count = argv[0], int(argv[1])
    lines = list(synthetic_events(count))
    texts = [json.dumps(line) for line in lines[:-APPENDS]]
    imported = len(texts)
    with scratch(backend) as db:
        engine = make_engine(db.url)
        try:
            start = time.process_time()
            with writing(engine) as connection:
                report = import_lines(connection, texts, default_recorded_by="bench",
                                      project=project)
            if report.errors:
                raise RuntimeError(f"refused: {report.errors[:3]}")
            import_rate = imported / (time.process_time() - start)
            start = time.process_time()
            rebuild(engine)
            rebuild_rate = imported / (time.process_time() - start)
            start = time.process_time()
            for line in lines[-APPENDS:]:
                with writing(engine) as connection:
                    append(connection, [parse_event(line, default_recorded_by="bench")],
                           project=project)
            append_ms = (time.process_time() - start) / APPENDS * 1000
        finally:
            engine.dispose()
    print(f"{backend}: import {import_rate:,.0f} events per CPU second; rebuild "
          f"{rebuild_rate:,.0f} events per CPU second; append {append_ms:.2f} CPU ms per event")


if __name__ == "__main__":
    main(sys.argv[1:])
