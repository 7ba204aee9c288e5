#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG [CHECKPOINT] NUM_PROCESSES [test.py options]
# Without CHECKPOINT the weights are those the config names (the baselines' init_cfg; bicubic
# needs none). One process per GPU (nccl); without GPUs, NUM_PROCESSES CPU processes (gloo).
usage="usage: bash $0 CONFIG [CHECKPOINT] NUM_PROCESSES [test.py options]"
integer='^[1-9][0-9]*$'
if [[ $# -ge 3 && $3 =~ $integer ]]; then
  CONFIG=$1
  CHECKPOINT=$2
  GPUS=$3
  shift 3
elif [[ $# -ge 2 && $2 =~ $integer ]]; then
  CONFIG=$1
  CHECKPOINT=
  GPUS=$2
  shift 2
else
  echo "$usage" >&2
  echo "dist_test.sh: error: NUM_PROCESSES (a positive integer) must follow CONFIG or" \
    "CONFIG CHECKPOINT; got: $*" >&2
  exit 2
fi
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
exec $PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/test.py \
    "$CONFIG" \
    ${CHECKPOINT:+"$CHECKPOINT"} \
    --launcher pytorch "$@"
