#!/usr/bin/env bash
# The shards of a som plan as a Cloud Run Job (docs/scale-out.md). Each task runs
# `som upload --plan`; Cloud Run gives it CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT,
# and som checks that the count is the plan's number of shards.
#
# Before: build and push the image (deploy/Dockerfile); make the plan on the identified
# side with the source bucket mounted at the same path as below (/mnt/source), and copy it
# into the plan bucket (which holds patient data: keep it with the source, never with the
# de-identified data); store the pseudonymisation key in Secret Manager.
set -euo pipefail

PROJECT=my-project                 # the Google Cloud project
REGION=us-central1
IMAGE=us-docker.pkg.dev/my-project/som/som:0.1.0
SERVICE_ACCOUNT=som-upload@my-project.iam.gserviceaccount.com
SOURCE_BUCKET=radiology-archive    # the identified DICOM files, mounted read-only
PLAN_BUCKET=radiology-som-plans    # the plans (patient data: the identified side)
PLAN=irb41449-2026-01              # the plan's folder in PLAN_BUCKET
SHARDS=256                         # the plan's number of shards (som plan --shards)
PARALLELISM=16                     # tasks at once: sized to the stores' quotas
SECRET=som-pseudonym-key           # the Secret Manager secret holding the key
BUCKET=radiology-deid              # where the de-identified objects go
NAMESPACE=irb41449                 # the Datastore namespace of the records

# The stores, as JSON settings; '^@^' makes '@' the list separator, so the commas inside
# the JSON stay.
STORES="^@^SOM_OBJECT_STORE={\"type\":\"gcs\",\"bucket\":\"${BUCKET}\"}@SOM_METADATA_STORE={\"type\":\"datastore\",\"projectId\":\"${PROJECT}\",\"namespace\":\"${NAMESPACE}\"}"

gcloud run jobs create som-upload-"${PLAN}" \
  --project "${PROJECT}" \
  --region "${REGION}" \
  --image "${IMAGE}" \
  --service-account "${SERVICE_ACCOUNT}" \
  --tasks "${SHARDS}" \
  --parallelism "${PARALLELISM}" \
  --max-retries 3 \
  --task-timeout 24h \
  --cpu 4 \
  --memory 8Gi \
  --set-secrets "SOM_SECRET=${SECRET}:latest" \
  --set-env-vars "${STORES}" \
  --add-volume "name=source,type=cloud-storage,bucket=${SOURCE_BUCKET},readonly=true" \
  --add-volume-mount "volume=source,mount-path=/mnt/source" \
  --add-volume "name=plans,type=cloud-storage,bucket=${PLAN_BUCKET}" \
  --add-volume-mount "volume=plans,mount-path=/mnt/plans" \
  --args "upload,--plan,/mnt/plans/${PLAN}"

gcloud run jobs execute som-upload-"${PLAN}" --project "${PROJECT}" --region "${REGION}" --wait

# Then, from any machine that mounts the plan bucket and has the same configuration:
#   som finalize --plan /mnt/plans/${PLAN}
