"""Reads `cargo bench --no-run --message-format=json` on stdin and prints the path of the bench
executable it built (`make bench` hands it to tools/v8_bench.mjs)."""

import json
import sys

paths = []
for line in sys.stdin:
    try:
        message = json.loads(line)
    except json.JSONDecodeError:
        continue
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        paths.append(message["executable"])
if not paths:
    sys.exit("cargo built no bench executable")
print(paths[-1])
