#!/usr/bin/env bash
# The bench:gpu-fleet measurement against real vLLM endpoints (issue 15): one
# `codeintel worker --role gpu --gpu N` process per endpoint listed in
# VLLM_URLS (comma-separated OpenAI base URLs, `/v1` included, in device
# order), the index and sink roles and the API in the bench process, a
# private redis-server, a synthetic corpus. Busy time per GPU is sampled from
# each server's Prometheus /metrics (vllm:num_requests_running).
#
# Prints a table per point on stderr and the bench's JSON as the last line of
# stdout. Knobs: VLLM_MODEL (the served model), FLEET_CHUNKS (20000),
# FLEET_POINTS (powers of two up to the number of endpoints, and that number),
# FLEET_BATCH_SIZE (64), FLEET_GPU_CONCURRENCY, SINK_CONCURRENCY.
set -euo pipefail

if [ -z "${VLLM_URLS:-}" ]; then
  cat >&2 <<'MSG'
gpu-smoke: VLLM_URLS is not set.
Set it to the vLLM OpenAI base URLs to measure, one per GPU, comma-separated, e.g.
  VLLM_URLS=http://gpu-host:8000/v1,http://gpu-host:8001/v1 VLLM_MODEL=Qwen/Qwen3-Embedding-8B scripts/gpu-smoke.sh
Without a GPU, `npm run bench:gpu-fleet` runs the same measurement against simulated GPUs.
MSG
  exit 2
fi

IFS=',' read -r -a urls <<< "$VLLM_URLS"
for url in "${urls[@]}"; do
  url="${url// /}"
  case "$url" in
    http://*|https://*) ;;
    *) echo "gpu-smoke: VLLM_URLS entry '$url' is not an http(s) URL" >&2; exit 2 ;;
  esac
  origin="$(printf '%s' "$url" | sed -E 's#^(https?://[^/]+).*#\1#')"
  if ! curl -fsS -m 10 "$origin/health" > /dev/null; then
    echo "gpu-smoke: $origin/health does not answer; is vLLM running there?" >&2
    exit 3
  fi
done

cd "$(dirname "$0")/.."
node scripts/setup.mjs
FLEET_EXTERNAL_URLS="$VLLM_URLS" exec node --import tsx bench/gpuFleet.ts
