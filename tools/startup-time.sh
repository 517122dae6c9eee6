#!/usr/bin/env bash
# gnlab start-up: wall seconds of 5 calls each, from the bundle and from the sources (tsx)
cd "$(dirname "$0")/.."
for mode in bundle source; do
  for c in "--help" "validate pipelines/quickstart.json"; do
    ts=""
    for i in 1 2 3 4 5; do
      s=$(date +%s.%N)
      if [ $mode = source ]; then GNLAB_FROM_SOURCE=1 node packages/runner/bin/gnlab.js $c >/dev/null 2>&1; else node packages/runner/bin/gnlab.js $c >/dev/null 2>&1; fi
      ts="$ts $(echo "$(date +%s.%N) - $s" | bc | xargs printf '%.2f')"
    done
    echo "$mode: gnlab $c:$ts"
  done
done
