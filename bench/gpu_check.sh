#!/usr/bin/env bash
# The accelerator check, as one script: versions, the benchmark's quick run on cuda (each library
# in its own processes, at most 5 minutes), then the oracle tests with tensorish tensors on cuda
# (torch, the oracle, stays on the CPU).
# Usage (on a GPU machine, from the repo root): bash bench/gpu_check.sh OUT_DIR
set -u
out=${1:-/tmp/gpu_check}
mkdir -p "$out"
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
python3 -c "import jax, torch, numpy; print('jax', jax.__version__, jax.devices()); \
print('torch', torch.__version__, torch.cuda.is_available())" | tee -a "$out/gpu.txt"
timeout 320 python3 bench/run.py --quick --device cuda --budget 280 --out "$out" 2>&1 \
  | tee "$out/bench_cuda.log"
TENSORISH_TEST_DEVICE=cuda timeout 170 python3 -m pytest -q --tb=line -p no:cacheprovider \
  tests/test_foundation.py tests/test_seed.py tests/test_nn_layers.py tests/test_compile.py \
  tests/test_optim.py tests/test_autograd.py 2>&1 | tail -60 | tee "$out/tests_cuda.txt"
