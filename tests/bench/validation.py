"""CPU seconds of `parse_event` over the synthetic log: `python -m tests.bench.validation [COUNT]`.

Validation alone, without a database: every line of `synthetic_events(COUNT)` (100,000 unless
given) is decoded from JSON beforehand and checked three times; the fastest pass is reported.
Process CPU time moves less than wall time with other work on the machine, so this is what
compares one version of the validation with another (run it from each checkout).
"""

from __future__ import annotations

import json
import sys
import time

from events.interchange import parse_event
from tests.bench.synth import synthetic_events

PASSES = 3


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else 100_000
    lines = [json.loads(json.dumps(line)) for line in synthetic_events(count)]
    seconds: list[float] = []
    for _ in range(PASSES):
        start = time.process_time()
        for line in lines:
            parse_event(line, default_recorded_by="bench")
        seconds.append(time.process_time() - start)
    fastest = min(seconds)
    print(f"parse_event over {count:,} synthetic events: CPU s per pass "
          f"{' / '.join(f'{s:.3f}' for s in seconds)}; fastest {count / fastest:,.0f} events "
          f"per CPU second, {fastest / count * 1e6:.1f} µs per event")


if __name__ == "__main__":
    main(sys.argv[1:])
