#!/usr/bin/env node
// Benchmark of `som upload` into an S3 object store (the MinIO/S3 adapter; records in
// SQLite) against `rclone copy` of the same files to the same server (Debian's rclone: it
// only copies, while som also de-identifies and writes records). The server is the one
// the tests use: Swift with s3api on 127.0.0.1, started by @som/testing. Alternating,
// medians of --rounds runs (default 3), each into a bucket of its own, whole processes
// timed from start to exit. Target: som >= 0.8x rclone.
//
//   npm run build && node bench/s3.js [--corpus ct|small|DIR] [--rounds N] [--transfers N]
//                                     [--baseline OTHER_CHECKOUT]
//
// The corpus is bench/upload.js's (generated there on first use). Both run with the same
// number of transfers at once (default 8, som's default concurrency).
'use strict';
const { existsSync, mkdtempSync } = require('node:fs');
const path = require('node:path');
const bench = require('./measure');
const { ROOT, SOM, MB, option, measure, summary } = bench;

async function main() {
  if (!existsSync(SOM)) throw new Error('build first: npm run build');
  const { dir: corpus, files, bytes } = bench.corpus(option('--corpus', 'ct'));
  const rounds = Number(option('--rounds', '3'));
  const transfers = Number(option('--transfers', '8'));
  const { startSwiftS3 } = require(path.join(ROOT, 'packages', 'testing', 'dist'));
  const server = await startSwiftS3();
  try {
    await bench.inWorkDir('s3-runs-', (work) =>
      compare(server, work, corpus, files, bytes, rounds, transfers),
    );
  } finally {
    await server.stop();
  }
}

/** Run the contenders against `server` in `work` and print their figures. */
function compare(server, work, corpus, files, bytes, rounds, transfers) {
  // rclone's remote, from its environment (no config file): the test server's throwaway credentials.
  const rcloneEnv = {
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: server.accessKey,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: server.secretKey,
    RCLONE_CONFIG_BENCH_REGION: server.region,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
    // The endpoint is plain http: a CA bundle named in the environment only makes rclone's
    // S3 client fail to start (LoadCustomCABundleError).
    AWS_CA_BUNDLE: '',
  };
  const results = bench.alternate(rounds, {
    'rclone copy': (round) =>
      measure({
        node: false,
        command: 'rclone',
        args: [
          'copy',
          corpus,
          `bench:rclone-${round}`,
          '--transfers',
          String(transfers),
          '--checkers',
          String(transfers),
        ],
        cwd: work,
        env: rcloneEnv,
      }),
    ...Object.fromEntries(
      Object.entries(bench.somBuilds('som upload')).map(([name, som], build) => [
        name,
        (round) => {
          const dir = mkdtempSync(path.join(work, `som-${build}-${round}-`));
          const store = {
            type: 'minio',
            endPoint: server.endpoint,
            region: server.region,
            accessKey: server.accessKey,
            secretKey: server.secretKey,
            bucket: `som-${build}-${round}`,
            createBucket: true,
          };
          const run = measure({
            args: [som, 'upload', corpus, '--collection', 'bench', '--json'],
            cwd: dir,
            env: {
              SOM_OBJECT_STORE: JSON.stringify(store),
              SOM_METADATA_STORE: JSON.stringify({
                type: 'sqlite',
                path: path.join(dir, 'som.db'),
              }),
              SOM_SECRET: 'b'.repeat(64),
              SOM_CONCURRENCY: String(transfers),
            },
          });
          const { counts } = JSON.parse(run.stdout).summary;
          if (counts.written !== files.length)
            throw new Error(`${name} wrote ${counts.written} of ${files.length} files`);
          return run;
        },
      ]),
    ),
  });
  console.log(`machine: ${bench.machine()}`);
  console.log(
    `corpus: ${files.length} files, ${(bytes / MB).toFixed(0)} MB (${corpus}); ${transfers} at once; S3: Swift s3api on 127.0.0.1; ${rounds} rounds`,
  );
  const rclone = summary('rclone copy', results['rclone copy']);
  console.log(rclone.line);
  for (const [name, runs] of Object.entries(results)) {
    if (name === 'rclone copy') continue;
    const som = summary(name, runs);
    const ratio = rclone.wall / som.wall;
    console.log(som.line);
    console.log(
      `${name} / rclone copy: ${ratio.toFixed(2)}x (target >= 0.8x) ${ratio >= 0.8 ? 'ok' : 'BELOW TARGET'}`,
    );
  }
}

bench.runBench(main);
