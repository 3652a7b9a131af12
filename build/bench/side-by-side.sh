#!/usr/bin/env bash
# side-by-side.sh: Perch against llama-server on the same GGUF models, CPU, greedy, 4 slots x
# 4,096 tokens on both, runs paired and interleaved (one server at a time, alternating), so
# noise from the rest of the machine falls on both alike. Prints the ratio table of issue 19.
# Not part of `make test`.
#
#   build/bench/side-by-side.sh LLAMA_SERVER PERCH MODEL.gguf [MODEL.gguf...]
#
# LLAMA_SERVER: a llama-server built from the llama.cpp release Perch's libraries come from
# (../shared/FACTS.md says how). PERCH: a perch binary (go build -o perch .).
# PERCH_LLAMA_LIB must name the llama.cpp libraries when PERCH is not inside a checkout.
# To compare the servers on the very same kernels, build llama-server with GGML_BACKEND_DL=ON
# and run it on Perch's libraries through LD_LIBRARY_PATH (docs/performance.md says how).
# Environment: THREADS (default "1 $(nproc)"), RUNS (5), DECODE (128), PROMPT_WORDS (100).
set -euo pipefail
if [ $# -lt 3 ]; then
	sed -n '2,12p' "$0"
	exit 2
fi
LS=$1 PERCH=$2
shift 2
THREADS=${THREADS:-"1 $(nproc)"}
RUNS=${RUNS:-5} DECODE=${DECODE:-128} PROMPT_WORDS=${PROMPT_WORDS:-100}
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
LS_PORT=18080 PERCH_PORT=18081

wait_up() { # url
	for _ in $(seq 600); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "server at $1 did not come up" >&2; return 1
}

# client.py measures one streamed request: cold or warm TTFT and decode tokens/s.
cat >"$WORK/client.py" <<'PY'
import json, sys, time, urllib.request
kind, url, model, threads, n, words, streams = sys.argv[1:8]
threads, n, words, streams = int(threads), int(n), int(words), int(streams)
import threading
def one(i, out):
    prompt = " ".join("word%d" % ((i * 7919 + k * 31) % 5000) for k in range(words))
    if kind == "perch":
        body = {"model": model, "prompt": prompt, "stream": True, "raw": True, "keep_alive": -1,
                "options": {"temperature": 0, "num_predict": n, "num_thread": threads, "num_ctx": 4096}}
        path = "/api/generate"
    else:
        body = {"prompt": prompt, "stream": True, "n_predict": n, "temperature": 0, "ignore_eos": True, "cache_prompt": False}
        path = "/completion"
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    t0 = time.time(); first = last = None; count = 0
    with urllib.request.urlopen(req) as r:
        for line in r:
            line = line.strip()
            if line.startswith(b"data: "): line = line[6:]
            if not line or line == b"[DONE]": continue
            ev = json.loads(line)
            text = ev.get("response", ev.get("content", ""))
            if ev.get("done") or ev.get("stop"):
                count = ev.get("eval_count", ev.get("tokens_predicted", count))
                continue
            if text:
                now = time.time()
                if first is None: first = now
                last = now
    out[i] = (first - t0, (count - 1) / (last - first) if last and last > first else 0, first, last, count)
res = {}
ts = [threading.Thread(target=one, args=(i, res)) for i in range(streams)]
[t.start() for t in ts]; [t.join() for t in ts]
if streams == 1:
    ttft, rate = res[0][0], res[0][1]
else:
    rate = sum(r[1] for r in res.values())  # aggregate: the streams' decode rates added
    ttft = max(r[0] for r in res.values())
print("%.2f %.2f" % (ttft * 1000, rate))
PY

start_ls() { # model threads
	"$LS" -m "$1" -t "$2" -tb "$2" -c 16384 -np 4 --port $LS_PORT >"$WORK/ls.log" 2>&1 &
	LS_PID=$!
	wait_up "http://127.0.0.1:$LS_PORT/health"
}
start_perch() { # model-dir
	PERCH_HOME="$WORK/perch" "$PERCH" serve --host 127.0.0.1:$PERCH_PORT --models-dir "$1" >"$WORK/perch.log" 2>&1 &
	PERCH_PID=$!
	wait_up "http://127.0.0.1:$PERCH_PORT/api/version"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

printf "%-34s %7s %10s %10s %10s %10s %10s\n" model threads "decode" "ttft" "4-stream" "cold-ttft" ""
for model in "$@"; do
	dir="$WORK/models/$(basename "$model" .gguf)"
	mkdir -p "$dir" && ln -sf "$(realpath "$model")" "$dir/"
	name=$(basename "$model" .gguf | tr "[:upper:]" "[:lower:]") # Perch names a models-dir file so
	for t in $THREADS; do
		: >"$WORK/p1" ; : >"$WORK/l1"; : >"$WORK/p4"; : >"$WORK/l4"
		# Cold start: process start to first token, each server started fresh.
		s=$(date +%s.%N); start_perch "$dir"
		pc=$(python3 "$WORK/client.py" perch "http://127.0.0.1:$PERCH_PORT" "$name" "$t" 2 "$PROMPT_WORDS" 1 | awk '{print $1}')
		pc=$(echo "$s $(date +%s.%N) $pc" | awk '{print ($2-$1)*1000}')
		kill $PERCH_PID; wait $PERCH_PID 2>/dev/null || true
		s=$(date +%s.%N); start_ls "$model" "$t"
		python3 "$WORK/client.py" llama "http://127.0.0.1:$LS_PORT" "$name" "$t" 2 "$PROMPT_WORDS" 1 >/dev/null
		lc=$(echo "$s $(date +%s.%N)" | awk '{print ($2-$1)*1000}')
		kill $LS_PID; wait $LS_PID 2>/dev/null || true
		for r in $(seq "$RUNS"); do
			start_perch "$dir"
			python3 "$WORK/client.py" perch "http://127.0.0.1:$PERCH_PORT" "$name" "$t" 4 10 1 >/dev/null # load
			python3 "$WORK/client.py" perch "http://127.0.0.1:$PERCH_PORT" "$name" "$t" "$DECODE" "$PROMPT_WORDS" 1 >>"$WORK/p1"
			python3 "$WORK/client.py" perch "http://127.0.0.1:$PERCH_PORT" "$name" "$t" "$DECODE" "$PROMPT_WORDS" 4 >>"$WORK/p4"
			kill $PERCH_PID; wait $PERCH_PID 2>/dev/null || true
			start_ls "$model" "$t"
			python3 "$WORK/client.py" llama "http://127.0.0.1:$LS_PORT" "$name" "$t" 4 10 1 >/dev/null
			python3 "$WORK/client.py" llama "http://127.0.0.1:$LS_PORT" "$name" "$t" "$DECODE" "$PROMPT_WORDS" 1 >>"$WORK/l1"
			python3 "$WORK/client.py" llama "http://127.0.0.1:$LS_PORT" "$name" "$t" "$DECODE" "$PROMPT_WORDS" 4 >>"$WORK/l4"
			kill $LS_PID; wait $LS_PID 2>/dev/null || true
		done
		pd=$(awk '{print $2}' "$WORK/p1" | median) ld=$(awk '{print $2}' "$WORK/l1" | median)
		pt=$(awk '{print $1}' "$WORK/p1" | median) lt=$(awk '{print $1}' "$WORK/l1" | median)
		pa=$(awk '{print $2}' "$WORK/p4" | median) la=$(awk '{print $2}' "$WORK/l4" | median)
		printf "%-34s %7s %10s %10s %10s %10s   (Perch / llama-server; Perch %s tok/s, llama-server %s tok/s)\n" "$name" "$t" \
			"$(echo "$pd $ld" | awk '{printf "%.3f", $1/$2}')" "$(echo "$pt $lt" | awk '{printf "%.3f", $1/$2}')" \
			"$(echo "$pa $la" | awk '{printf "%.3f", $1/$2}')" "$(echo "$pc $lc" | awk '{printf "%.3f", $1/$2}')" "$pd" "$ld"
	done
done
