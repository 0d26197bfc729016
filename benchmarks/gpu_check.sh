#!/usr/bin/env bash
# The GPU check of issue 18, for a session lent a GPU (the `device` tool); about 5-8 minutes on
# one GPU. Prints: B0 training img/s at 224 px (bf16, channels_last) and data-loading img/s from
# a folder (benchmarks/gpu_throughput.py), a 10-trial search with --device cuda, and
# nas latency --device cuda. Run from the repository root: bash benchmarks/gpu_check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/nas ]; then make .venv/.installed >/dev/null; fi
export NAS_CACHE_DIR="${NAS_CACHE_DIR:-$(mktemp -d)}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || true

echo "== 1. B0 training and data loading =="
.venv/bin/python benchmarks/gpu_throughput.py

echo "== 2. a 10-trial search on CUDA =="
start=$(date +%s)
.venv/bin/nas search --flops 400M --trials 10 --device cuda --amp --study gpu-check \
    --storage "$work/gpu-check.log" --proxy-resolution 64 --epochs 2
echo "search wall time: $(( $(date +%s) - start )) s"

echo "== 3. latency on CUDA =="
.venv/bin/nas latency efficientnet-b0 --device cuda --batch 1
.venv/bin/nas latency efficientnet-b0 --device cuda --batch 64
