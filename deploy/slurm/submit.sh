#!/usr/bin/env bash
# Submit the shards of a som plan as a job array, PARALLEL at a time (default 16), and
# `som finalize` as a job that starts once every shard succeeded:
#   deploy/slurm/submit.sh /shared/plans/irb41449-2026-01 [PARALLEL]
# A shard that fails (exit 1: files failed; see its report) holds the finalize job. Fix the
# cause, then requeue that task and make the finalize job wait for it alone (Slurm keeps
# an array's failure on record, so the job's dependency must be restated):
#   scontrol requeue <array job>_<i>
#   scontrol update JobId=<finalize job> Dependency=afterok:<array job>_<i>
set -euo pipefail
plan=$(realpath "${1:?usage: submit.sh <plan-dir> [parallel]}")
parallel=${2:-16}
here=$(dirname "$(realpath "$0")")
shards=$(node -e 'process.stdout.write(String(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).shards))' "${plan}/plan.json")
array=$(sbatch --parsable --array="0-$((shards - 1))%${parallel}" --export="ALL,SOM_PLAN=${plan}" "${here}/som-upload.sbatch")
array=${array%%;*}
finalize=$(sbatch --parsable --dependency="afterok:${array}" --export="ALL,SOM_PLAN=${plan}" "${here}/som-finalize.sbatch")
echo "shards: job ${array} (${shards} tasks, ${parallel} at a time); finalize: job ${finalize%%;*}"
