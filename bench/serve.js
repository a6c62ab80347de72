#!/usr/bin/env node
/**
 * Benchmark of @som/serve on the embedded default (fs + SQLite): QIDO-RS /studies over
 * 10,000 studies, a thumbnail of a 512x512 CT cold and warm, an entity page with 50 series,
 * and the server's resident memory under 100 concurrent requests. Figures printed, not a
 * test; each latency with a floor measured in the same run (a bare node:http server sending
 * a same-sized answer from memory; for a cold thumbnail, reading the object and encoding a
 * 512x512 grey image with sharp, without decoding DICOM).
 *
 *   npx tsc -b packages/serve packages/fs packages/sqlite
 *   node bench/serve.js [--studies 10000] [--samples 200] [--rounds 20]
 *
 * The dataset is made under .bench-data/serve/ (reused by later runs): Study and Series
 * summary records written directly, one entity with 50 series, and one 512x512 CT from
 * shared/tools/make_corpus.py (Debian's python3-pydicom). The server runs in a child process,
 * so its memory is its own.
 */
'use strict';

const { Buffer } = require('node:buffer');
const { execFileSync, fork } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const DATA = path.join(ROOT, '.bench-data', 'serve');
const COLLECTION = 'bench';
const STUDY_SEARCH =
  '/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060';

function parseArgs(argv) {
  const args = { studies: 10_000, samples: 200, rounds: 20 };
  for (let i = 2; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, '');
    if (name === 'phase') args.phase = argv[++i];
    else if (name in args) args[name] = Number(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  return args;
}

function openClient() {
  const { Client } = require('../packages/core/dist');
  const { FsObjectDriver } = require('../packages/fs/dist');
  const { SqliteMetadataDriver } = require('../packages/sqlite/dist');
  return new Client({
    objectStore: new FsObjectDriver({ root: path.join(DATA, 'objects') }),
    metadataStore: new SqliteMetadataDriver({ path: path.join(DATA, 'som.db') }),
  });
}

/** Write the dataset once: summaries of `studies` studies, an entity of 50 series, one CT. */
async function makeDataset(studies) {
  const marker = path.join(DATA, `ready-${studies}`);
  if (fs.existsSync(marker)) return;
  fs.rmSync(DATA, { recursive: true, force: true });
  fs.mkdirSync(DATA, { recursive: true });
  const { searchableFields, readDicomHeader } = require('../packages/dicom/dist');
  const { studyKey, seriesKey } = require('../packages/core/dist');
  const client = openClient();
  await client.createCollection({ uid: COLLECTION });
  const now = new Date().toISOString();
  const perEntity = 5;
  let batch = [];
  for (let s = 0; s < studies; s++) {
    const entity = `e${String(Math.floor(s / perEntity)).padStart(5, '0')}`;
    if (s % perEntity === 0)
      batch.push({
        key: ['Collection', COLLECTION, 'Entity', entity],
        data: { uid: entity, collection: COLLECTION, created: now, updated: now },
      });
    const st = `1.2.826.0.1.${s + 1}`;
    const base = { collection: COLLECTION, entity, created: now, updated: now };
    batch.push({
      key: studyKey({ collection: COLLECTION, entity }, st),
      data: {
        ...base,
        uid: st,
        StudyInstanceUID: st,
        StudyDate: `20${String(10 + (s % 15))}0101`,
        PatientID: entity,
        ModalitiesInStudy: 'CT',
        NumberOfStudyRelatedSeries: 1,
        NumberOfStudyRelatedInstances: 100,
      },
    });
    batch.push({
      key: seriesKey({ collection: COLLECTION, entity }, `${st}.1`),
      data: {
        ...base,
        uid: `${st}.1`,
        StudyInstanceUID: st,
        SeriesInstanceUID: `${st}.1`,
        Modality: 'CT',
        SeriesNumber: 1,
        NumberOfSeriesRelatedInstances: 100,
        MiddleImage: 'x',
        MiddleImageMd5: '0'.repeat(32),
      },
    });
    if (batch.length >= 900) {
      await client.records.putMany(batch);
      batch = [];
    }
  }
  // One entity of 50 series, and a real 512x512 CT for the thumbnails.
  const big = { collection: COLLECTION, entity: 'big' };
  await client.createEntity({ collection: COLLECTION, uid: 'big' });
  for (let n = 1; n <= 50; n++)
    batch.push({
      key: seriesKey(big, `1.2.826.9.${n}`),
      data: {
        collection: COLLECTION,
        entity: 'big',
        created: now,
        updated: now,
        uid: `1.2.826.9.${n}`,
        StudyInstanceUID: '1.2.826.9',
        SeriesInstanceUID: `1.2.826.9.${n}`,
        Modality: 'CT',
        SeriesNumber: n,
        SeriesDescription: `series ${n}`,
        NumberOfSeriesRelatedInstances: 100,
        MiddleImage: 'ct',
        MiddleImageMd5: '0'.repeat(32),
      },
    });
  batch.push({
    key: studyKey(big, '1.2.826.9'),
    data: {
      collection: COLLECTION,
      entity: 'big',
      created: now,
      updated: now,
      uid: '1.2.826.9',
      StudyInstanceUID: '1.2.826.9',
      ModalitiesInStudy: 'CT',
      NumberOfStudyRelatedSeries: 50,
      NumberOfStudyRelatedInstances: 5000,
    },
  });
  await client.records.putMany(batch);
  const corpus = path.join(DATA, 'corpus');
  execFileSync(
    '/usr/bin/python3',
    [
      path.join(ROOT, '..', 'shared', 'tools', 'make_corpus.py'),
      '--out',
      corpus,
      '--patients',
      '1',
      '--studies',
      '1',
      '--series',
      '1',
      '--images',
      '1',
      '--large-patients',
      '0',
    ],
    { stdio: 'ignore' },
  );
  const file = walk(corpus).find((f) => f.endsWith('.dcm'));
  const bytes = fs.readFileSync(file);
  const header = readDicomHeader(bytes, 'ct');
  if (header.number('Rows') !== 512) throw new Error('expected a 512x512 CT from make_corpus.py');
  await client.uploadImage({
    ...big,
    image: { uid: 'ct', bytes, metadata: { ...searchableFields(header), Modality: 'CT' } },
  });
  await client.close();
  fs.writeFileSync(marker, '');
}

function walk(dir) {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The child: serve the dataset, print the URL. */
async function serve() {
  const { startServer } = require('../packages/serve/dist');
  const client = openClient();
  const server = await startServer(client, { port: 0 });
  process.send({ url: server.url });
}

function request(url) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http
      .get(url, (res) => {
        let bytes = 0;
        res.on('data', (c) => (bytes += c.length));
        res.on('end', () =>
          resolve({
            ms: Number(process.hrtime.bigint() - started) / 1e6,
            status: res.statusCode,
            bytes,
          }),
        );
      })
      .on('error', reject);
  });
}

async function timed(urls) {
  const times = [];
  for (const url of urls) {
    const { ms, status } = await request(url);
    if (status !== 200) throw new Error(`${url}: ${status}`);
    times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

const pct = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
const fmt = (ms) => `${ms.toFixed(2)} ms`;

/** A bare node:http server answering every request with `body`: the floor of a request. */
async function floorServer(body) {
  const server = http.createServer((_, res) => res.end(body));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}

function rssOf(pid) {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function main() {
  const args = parseArgs(process.argv);
  if (args.phase === 'serve') return serve();
  await makeDataset(args.studies);
  const child = fork(path.join(__dirname, 'serve.js'), ['--phase', 'serve'], { stdio: 'inherit' });
  const { url } = await new Promise((resolve) => child.once('message', resolve));
  const root = `${url}/dicomweb/${COLLECTION}`;
  try {
    const report = (name, sorted, floor, target) =>
      console.log(
        `${name.padEnd(44)} p50 ${fmt(pct(sorted, 50)).padStart(10)}  p95 ${fmt(pct(sorted, 95)).padStart(10)}` +
          (floor
            ? `  floor p50 ${fmt(pct(floor, 50))} (x${(pct(sorted, 50) / pct(floor, 50)).toFixed(1)})`
            : '') +
          (target ? `  target < ${target} ms` : ''),
      );
    // QIDO over all studies (and with the filters OHIF adds).
    const first = await request(`${root}${STUDY_SEARCH}`);
    const qidoFloor = await floorServer(Buffer.alloc(first.bytes, 'x'));
    const qido = await timed(Array(args.samples).fill(`${root}${STUDY_SEARCH}`));
    const floor = await timed(Array(args.samples).fill(qidoFloor.url));
    qidoFloor.close();
    console.log(`QIDO over ${args.studies} studies (${first.bytes} bytes per answer):`);
    report('  /studies?limit=101&offset=0...', qido, floor, 50);
    report(
      '  ...&StudyInstanceUID=<one>',
      await timed(
        Array.from(
          { length: args.samples },
          (_, i) =>
            `${root}${STUDY_SEARCH}&StudyInstanceUID=1.2.826.0.1.${((i * 37) % args.studies) + 1}`,
        ),
      ),
      undefined,
      50,
    );
    report(
      '  ...&00100020=<PatientID>',
      await timed(
        Array.from(
          { length: args.samples },
          (_, i) => `${root}${STUDY_SEARCH}&00100020=e${String(i % 1000).padStart(5, '0')}`,
        ),
      ),
      undefined,
      50,
    );
    report(
      '  ...&StudyDate=20150101-20161231',
      await timed(Array(args.samples).fill(`${root}${STUDY_SEARCH}&StudyDate=20150101-20161231`)),
      undefined,
      50,
    );
    report(
      '  ...&offset=9000',
      await timed(Array(20).fill(`${root}${STUDY_SEARCH.replace('offset=0', 'offset=9000')}`)),
      undefined,
      undefined,
    );
    // Thumbnails: cold (each request a new size: decoded anew), then warm (cached).
    const thumb = (size) => `${url}/thumb/${COLLECTION}/big/ct?size=${size}`;
    const firstThumb = await timed([thumb(128)]);
    const cold = await timed(Array.from({ length: 40 }, (_, i) => thumb(129 + i)));
    const warm = await timed(Array(args.samples).fill(thumb(128)));
    const sharp = require('sharp');
    const object = walk(path.join(DATA, 'objects')).find(
      (f) => f.includes('Images') && !f.endsWith('.json'),
    );
    const encodeFloor = [];
    for (let i = 0; i < 40; i++) {
      const t = process.hrtime.bigint();
      fs.readFileSync(object);
      await sharp(Buffer.alloc(512 * 512 * 3, 80), {
        raw: { width: 512, height: 512, channels: 3 },
      })
        .resize(129 + i)
        .jpeg()
        .toBuffer();
      encodeFloor.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    encodeFloor.sort((a, b) => a - b);
    const thumbBytes = (await request(thumb(128))).bytes;
    const warmFloorServer = await floorServer(Buffer.alloc(thumbBytes, 1));
    const warmFloor = await timed(Array(args.samples).fill(warmFloorServer.url));
    warmFloorServer.close();
    console.log(
      `Thumbnail of a 512x512 CT (first ever, incl. starting a thread: ${fmt(firstThumb[0])}):`,
    );
    report('  cold (a size not rendered before)', cold, encodeFloor, 150);
    report('  warm (cached)', warm, warmFloor, 5);
    // The entity page of 50 series.
    const pageTimes = await timed(Array(50).fill(`${url}/c/${COLLECTION}/e/big`));
    console.log('Entity page:');
    report('  /c/bench/e/big (50 series)', pageTimes, undefined, 1000);
    // Memory under 100 concurrent requests, round after round.
    const rss = [rssOf(child.pid)];
    const mix = (i) =>
      [
        `${root}${STUDY_SEARCH}`,
        thumb(128 + (i % 200)),
        `${url}/c/${COLLECTION}/e/big`,
        `${root}/studies/1.2.826.9/series`,
      ][i % 4];
    for (let round = 0; round < args.rounds; round++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => request(mix(round * 100 + i))));
      rss.push(rssOf(child.pid));
    }
    console.log(
      `Server RSS under ${args.rounds} rounds of 100 concurrent requests: before them ${rss[0].toFixed(0)} MB, after round 1 ${rss[1].toFixed(0)} MB, after round ${args.rounds / 2} ${rss[Math.floor(args.rounds / 2)].toFixed(0)} MB, last ${rss[rss.length - 1].toFixed(0)} MB, peak ${Math.max(...rss).toFixed(0)} MB`,
    );
  } finally {
    child.kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
