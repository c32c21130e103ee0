#!/bin/bash
# The speed-up of `npm run evaluate -- --queue` with 1, 2, 3 workers against a local run
# (docs/scale-out.md): lstm-4-32, N MNIST digits (default 40) as 4 frames, certrnn, the fast
# search. A redis-server on a free 127.0.0.1 port (no persistence) and all files in a temporary
# folder; the workers are connected before each timed evaluate (the time includes their child
# processes starting and loading the model on their first job). Prints one line per run, with
# the load average. Usage: bash scripts/bench/queue-speedup.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-40}
TMP=$(mktemp -d)
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
node -e "
const { images, labels } = require('./public/models/mnist-examples.json')
const ex = images.slice(0, $N).map((img, k) => ({ x: [0, 1, 2, 3].map((t) => img.slice(t * 196, (t + 1) * 196).map((p) => p / 255)), label: labels[k] }))
require('fs').writeFileSync('$TMP/inputs.json', JSON.stringify(ex))"
redis-server --port "$PORT" --bind 127.0.0.1 --dir "$TMP" --save '' --appendonly no > "$TMP/redis.log" 2>&1 &
REDIS=$!
trap 'kill $REDIS 2>/dev/null; rm -rf "$TMP"' EXIT
until grep -q 'Ready to accept' "$TMP/redis.log"; do sleep 0.2; done
ARGS=(--model public/models/lstm-4-32 --inputs "$TMP/inputs.json" --methods certrnn --search fast)
now() { date +%s.%N; }
load() { uptime | sed 's/.*load average/load average/'; }
echo "$(date -u +%FT%TZ), $N inputs, $(nproc) cores, $(load)"
t0=$(now); node --import tsx scripts/evaluate.ts "${ARGS[@]}" --out "$TMP/local" > "$TMP/local.log" 2>&1; t1=$(now)
echo "local run: $(echo "$t1 - $t0" | bc) s; $(load)"
for K in 1 2 3; do
  PIDS=()
  for i in $(seq 1 "$K"); do
    setsid node --import tsx scripts/worker.ts --queue "redis://127.0.0.1:$PORT/0" --queue-name "speedup$K" --name "w$i" > "$TMP/w$K-$i.log" 2>&1 &
    PIDS+=($!)
  done
  for i in $(seq 1 "$K"); do until grep -q 'taking jobs' "$TMP/w$K-$i.log"; do sleep 0.2; done; done
  t0=$(now); node --import tsx scripts/evaluate.ts "${ARGS[@]}" --queue "redis://127.0.0.1:$PORT/0" --queue-name "speedup$K" --out "$TMP/queue$K" > "$TMP/queue$K.log" 2>&1; t1=$(now)
  same=$(diff <(cut -d, -f1-7,9 "$TMP/local/samples.csv") <(cut -d, -f1-7,9 "$TMP/queue$K/samples.csv") > /dev/null && echo 'same rows as the local run' || echo 'ROWS DIFFER')
  echo "queue, $K worker(s): $(echo "$t1 - $t0" | bc) s, $same; $(load)"
  for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
  wait "${PIDS[@]}" 2>/dev/null || true
done
