#!/usr/bin/env bash
# The shards of a som plan as an AWS Batch array job (docs/scale-out.md): child i gets
# AWS_BATCH_JOB_ARRAY_INDEX=i and runs shard i. The array size must be the plan's number
# of shards; how many run at once is set by the compute environment's maxvCpus (each
# child asks 4 vCPUs in the job definition), which is how the stores' quotas are kept.
set -euo pipefail
QUEUE=som-upload                   # a job queue whose compute environment mounts the EFS volumes
SHARDS=256                         # the plan's number of shards (som plan --shards)

aws batch register-job-definition --cli-input-json file://"$(dirname "$0")"/aws-batch-job-definition.json
aws batch submit-job \
  --job-name som-upload-irb41449 \
  --job-queue "${QUEUE}" \
  --job-definition som-upload \
  --array-properties "size=${SHARDS}"

# When every child has ended, from a machine that mounts the plan volume:
#   som finalize --plan /mnt/plans/irb41449-2026-01
