#!/usr/bin/env node
// Benchmark of the MinIO/S3 adapter against the bare minio client, in the same run, on
// the same real S3 server (Swift s3api started on 127.0.0.1 by @som/testing).
//
//   npx tsc -b packages/minio packages/testing && node bench/minio.js [--rounds N]
//
// Cases (each timed for the adapter and for the baseline, alternating, best of N rounds):
// - small: 300 objects of 40 KB, 8 at a time: the driver's put (md5 given, kept in
//   metadata, Content-MD5 checked) vs minio's putObject;
// - large, md5 given: one 64 MiB object, 16 MiB parts: the driver's multipart upload
//   (md5 compared before completing) vs minio's putObject (multipart);
// - large, no md5: the same object, the driver's temporary key + server-side copy, vs the
//   driver with the md5 given: the cost of not knowing the md5 in advance;
// - read: the 64 MiB object through the driver's get vs minio's getObject;
// - list: 2,000 keys in pages of 1,000, the driver's list vs minio's listObjectsV2 stream.
// Figures: time, MB/s or objects/s, and the ratio adapter/baseline (throughput; > 1 is faster).
'use strict';
const { createHash } = require('node:crypto');
const { Buffer } = require('node:buffer');
const { Readable } = require('node:stream');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const { Client } = require('minio');
const { ObjectStore } = require(path.join(ROOT, 'packages/core/dist'));
const { MinioObjectDriver } = require(path.join(ROOT, 'packages/minio/dist'));
const { startSwiftS3 } = require(path.join(ROOT, 'packages/testing/dist'));

const MB = 1024 * 1024;
const PART = 16 * MB;
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 3) || 3;

const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

async function pool(items, concurrency, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function drain(stream) {
  let size = 0;
  for await (const chunk of stream) size += chunk.length;
  return size;
}

/** Best time in seconds of `fn` over the rounds (adapter and baseline alternate in the caller). */
async function timed(fn) {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function compare(label, unit, amount, adapter, baseline) {
  let a = Infinity;
  let b = Infinity;
  for (let round = 0; round < rounds; round++) {
    b = Math.min(b, await timed(() => baseline(round)));
    a = Math.min(a, await timed(() => adapter(round)));
  }
  const rate = (seconds) => `${(amount / seconds).toFixed(1)} ${unit}/s`;
  console.log(
    `${label.padEnd(44)} adapter ${a.toFixed(3)} s (${rate(a)})  baseline ${b.toFixed(3)} s (${rate(b)})  ratio ${(b / a).toFixed(2)}`,
  );
}

async function main() {
  const server = await startSwiftS3();
  try {
    const settings = {
      type: 'minio',
      endPoint: server.endpoint,
      region: server.region,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      createBucket: true,
      partSize: PART,
    };
    const store = new ObjectStore(new MinioObjectDriver({ ...settings, bucket: 'bench-adapter' }));
    const raw = new Client({
      endPoint: server.host,
      port: server.port,
      useSSL: false,
      accessKey: server.accessKey,
      secretKey: server.secretKey,
      region: server.region,
      partSize: PART,
    });
    await raw.makeBucket('bench-raw', server.region);
    await store.put('warm-up', 'x');
    console.log(
      `minio adapter vs bare minio client on Swift s3api (${server.endpoint}), best of ${rounds}`,
    );

    const small = Array.from({ length: 300 }, (_, i) => Buffer.alloc(40 * 1024, i % 251));
    const smallMd5 = small.map(md5);
    await compare(
      'small: 300 x 40 KB puts, 8 at a time',
      'objects',
      small.length,
      (r) =>
        pool(
          small.map((_, i) => i),
          8,
          (i) =>
            store.put(`small/${r}/${i}`, small[i], {
              md5: smallMd5[i],
              contentType: 'application/dicom',
            }),
        ),
      (r) =>
        pool(
          small.map((_, i) => i),
          8,
          (i) =>
            raw.putObject('bench-raw', `small/${r}/${i}`, small[i], small[i].length, {
              'Content-Type': 'application/dicom',
            }),
        ),
    );

    const large = Buffer.alloc(64 * MB);
    for (let i = 0; i < large.length; i += 4) large.writeUInt32LE((i * 2654435761) >>> 0, i);
    const largeMd5 = md5(large);
    const chunks = () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < large.length; i += MB) yield large.subarray(i, i + MB);
        })(),
      );
    await compare(
      'large: 64 MiB put, md5 given (multipart)',
      'MB',
      64,
      (r) => store.put(`large/given-${r}`, chunks(), { md5: largeMd5 }),
      (r) => raw.putObject('bench-raw', `large/${r}`, chunks(), large.length),
    );
    await compare(
      'large: 64 MiB put, no md5 (temp key + copy)',
      'MB',
      64,
      (r) => store.put(`large/computed-${r}`, chunks()),
      (r) => store.put(`large/given-again-${r}`, chunks(), { md5: largeMd5 }),
    );
    await compare(
      'read: 64 MiB get',
      'MB',
      64,
      () => store.get('large/given-0').then(drain),
      () => raw.getObject('bench-raw', 'large/0').then(drain),
    );

    const keys = Array.from({ length: 2000 }, (_, i) => `list/${String(i).padStart(5, '0')}`);
    await pool(keys, 16, (key) =>
      Promise.all([store.put(key, 'x'), raw.putObject('bench-raw', key, Buffer.from('x'))]),
    );
    await compare(
      'list: 2,000 keys in pages of 1,000',
      'keys',
      keys.length,
      async () => {
        let n = 0;
        for await (const _ of store.listAll('list/')) n++;
        if (n !== keys.length) throw new Error(`listed ${n}`);
      },
      async () => {
        let n = 0;
        for await (const _ of raw.listObjectsV2('bench-raw', 'list/', true)) n++;
        if (n !== keys.length) throw new Error(`listed ${n}`);
      },
    );
    await store.close();
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
