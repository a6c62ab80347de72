#!/usr/bin/env node
// Benchmark of the Google adapters against their emulators (started on 127.0.0.1 by
// @som/testing), each figure with a baseline measured in the same run.
//
//   npx tsc -b packages/gcs packages/datastore packages/testing && node bench/google.js [--images N] [--records N] [--concurrency N]
//
// - GCS: --images (default 2,000) images of 0.5 MB (distinct bytes, md5 given, content type
//   application/dicom) put through the GcsObjectDriver --concurrency (default 8) at a time,
//   against the same put one at a time (the speed-up), and against the bare
//   @google-cloud/storage `file.save` at the same concurrency (the adapter's cost: the md5
//   check before finalising, error mapping). The emulator slows down as it fills, so it is
//   restarted (empty) and warmed up before each case. It is a single Node process on the
//   same 2 cores: the figures measure it as much as the adapter.
// - Datastore: --records (default 2,000) image records written with putMany (transactions
//   of 500) against the same records written by single puts one at a time, and 8 at a time.
// Figures: time, images/s (MB/s) or records/s, and ratios (> 1: the first is faster).
'use strict';
const { Buffer } = require('node:buffer');
const { createHash, randomUUID } = require('node:crypto');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { ObjectStore, MetadataStore, mapBounded } = require(path.join(ROOT, 'packages/core/dist'));
const { GcsObjectDriver } = require(path.join(ROOT, 'packages/gcs/dist'));
const { DatastoreMetadataDriver } = require(path.join(ROOT, 'packages/datastore/dist'));
const { startGcsEmulator, startDatastoreEmulator } = require(
  path.join(ROOT, 'packages/testing/dist'),
);

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

const IMAGES = option('--images', 2000);
const RECORDS = option('--records', 2000);
const CONCURRENCY = option('--concurrency', 8);
const IMAGE_BYTES = 512 * 1024;
const MB = 1024 * 1024;

/** The bytes of image `i` of a run: distinct per image and run, made when needed. */
function imageBytes(run, i) {
  const bytes = Buffer.alloc(IMAGE_BYTES, (run * 31 + i) % 251);
  bytes.writeUInt32BE(i, 0);
  bytes.write(run, 4, 'latin1');
  return bytes;
}

const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

async function seconds(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Run `task(i)` for i < count, `concurrency` at a time. */
async function each(count, concurrency, task) {
  const indexes = Array.from({ length: count }, (_, i) => i);
  for await (const _ of mapBounded(indexes, concurrency, task));
}

function line(label, time, amount, unit, extra = '') {
  console.log(
    `${label.padEnd(52)} ${time.toFixed(2).padStart(7)} s  ${(amount / time).toFixed(1).padStart(8)} ${unit}/s${extra}`,
  );
}

async function benchGcs() {
  const emulator = await startGcsEmulator();
  try {
    const driver = new GcsObjectDriver({
      bucket: `bench-${randomUUID().slice(0, 8)}`,
      apiEndpoint: emulator.apiEndpoint,
      projectId: 'demo-test',
    });
    const store = new ObjectStore(driver);
    const key = (run, i) => `Collection/bench/Entity/${run}/Images/${i}.dcm`;
    const adapterPut = async (run, i) => {
      const bytes = imageBytes(run, i);
      await store.put(key(run, i), bytes, { md5: md5(bytes), contentType: 'application/dicom' });
    };
    const barePut = async (run, i) => {
      const bytes = imageBytes(run, i);
      md5(bytes); // the adapter's callers hash too: keep the work equal
      await driver.bucket
        .file(key(run, i))
        .save(bytes, { resumable: false, contentType: 'application/dicom' });
    };
    const cases = [
      ['adapter put, 1 at a time', 1, adapterPut],
      [`adapter put, ${CONCURRENCY} at a time`, CONCURRENCY, adapterPut],
      [`bare file.save, ${CONCURRENCY} at a time`, CONCURRENCY, barePut],
    ];
    console.log(
      `GCS (firebase emulator ${emulator.apiEndpoint}): ${IMAGES} images of ${IMAGE_BYTES / 1024} KB, emulator restarted before each case`,
    );
    const total = (IMAGES * IMAGE_BYTES) / MB;
    const times = [];
    for (const [label, concurrency, put] of cases) {
      // The emulator slows down as it fills: every case starts on an empty, warmed-up one.
      await emulator.restart();
      await each(20, 4, (i) => put('warm', i));
      const time = await seconds(() =>
        each(IMAGES, concurrency, (i) => put(`case${times.length}`, i)),
      );
      line(label, time, IMAGES, 'images', `  ${(total / time).toFixed(1)} MB/s`);
      times.push(time);
    }
    const [one, many, raw] = times;
    console.log(
      `speed-up of ${CONCURRENCY} at a time over 1: ${(one / many).toFixed(2)}x; adapter / bare library: ${(raw / many).toFixed(2)}`,
    );
  } finally {
    await emulator.stop();
  }
}

async function benchDatastore() {
  const emulator = await startDatastoreEmulator();
  try {
    const settings = { projectId: emulator.projectId, apiEndpoint: emulator.apiEndpoint };
    const store = (namespace) =>
      new MetadataStore(new DatastoreMetadataDriver({ ...settings, namespace }));
    const records = (entity) =>
      Array.from({ length: RECORDS }, (_, i) => ({
        key: ['Collection', 'bench', 'Entity', entity, 'Image', `i${i}`],
        data: {
          Modality: ['CT', 'MR', 'US'][i % 3],
          StudyDate: `2010${String((i % 12) + 1).padStart(2, '0')}01`,
          Rows: 512,
          size: 530000 + i,
          md5: md5(String(i)),
        },
      }));
    const warm = store('warm');
    await warm.putMany(records('warm').slice(0, 500));
    await each(100, 4, (i) =>
      warm.put(['Collection', 'w', 'Entity', 'w', 'Image', `w${i}`], { i }),
    );
    console.log(`Datastore (emulator ${emulator.apiEndpoint}): ${RECORDS} image records`);
    const batched = await seconds(() => store('batched').putMany(records('e')));
    line('putMany (transactions of 500)', batched, RECORDS, 'records');
    const single = store('single');
    const singles = records('e');
    const one = await seconds(() =>
      each(RECORDS, 1, (i) => single.put(singles[i].key, singles[i].data)),
    );
    line('single puts, 1 at a time', one, RECORDS, 'records');
    const parallel = store('parallel');
    const many = await seconds(() =>
      each(RECORDS, CONCURRENCY, (i) => parallel.put(singles[i].key, singles[i].data)),
    );
    line(`single puts, ${CONCURRENCY} at a time`, many, RECORDS, 'records');
    console.log(
      `putMany over single puts: ${(one / batched).toFixed(1)}x (1 at a time), ${(many / batched).toFixed(1)}x (${CONCURRENCY} at a time)`,
    );
  } finally {
    await emulator.stop();
  }
}

(async () => {
  await benchGcs();
  await benchDatastore();
})().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
