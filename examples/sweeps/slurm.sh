#!/usr/bin/env bash
# One cell of a sweep per Slurm array task, all writing to one shared log dir:
#   N=$(codecrucible sweep grid.yaml --list | wc -l)
#   sbatch --array=0-$((N - 1)) examples/sweeps/slurm.sh grid.yaml
# Then, once the array is done: codecrucible leaderboard <log_dir> --output results/
#SBATCH --job-name=codecrucible-sweep
#SBATCH --cpus-per-task=8
#SBATCH --mem=16G
#SBATCH --time=12:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail
config=${1:?usage: sbatch --array=0-K slurm.sh CONFIG [LOG_DIR]}
log_dir=${2:-}
# the venv where codecrucible is installed (pip install -e '.[dev]' in the repository)
source "${CODECRUCIBLE_VENV:-.venv}/bin/activate"
export HF_HUB_OFFLINE=${HF_HUB_OFFLINE:-0}
exec codecrucible sweep "$config" --cell "$SLURM_ARRAY_TASK_ID" ${log_dir:+--log-dir "$log_dir"}
