#!/usr/bin/env bash
# Usage: [GPUS=4] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py options]
set -x
if [[ $# -lt 3 ]]; then
  echo "usage: bash $0 PARTITION JOB_NAME CONFIG [WORK_DIR] [train.py options]" >&2
  exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
shift 3
WORK_DIR=
if [[ $# -gt 0 && $1 != -* ]]; then
  WORK_DIR=$1
  shift
fi
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
srun -p ${PARTITION} \
    --job-name=${JOB_NAME} \
    --gres=gpu:${GPUS_PER_NODE} \
    --ntasks=${GPUS} \
    --ntasks-per-node=${GPUS_PER_NODE} \
    --cpus-per-task=${CPUS_PER_TASK} \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    python -u "$(dirname "$0")/train.py" "$CONFIG" ${WORK_DIR:+"--work-dir=$WORK_DIR"} \
    --launcher="slurm" "$@"
