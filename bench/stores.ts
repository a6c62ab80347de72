/**
 * Benchmark of the embedded default stores (@som/sqlite and @som/fs), each against a plain
 * baseline run in the same process. Figures are printed, not asserted.
 *
 *   npx tsc -b bench && node bench/dist/stores.js [--records N] [--objects N] [--object-kb N]
 *                                                   [--concurrency N] [--rounds N] [--keep] [--only fs|sqlite]
 *
 * 1. SQLite putMany: realistic Image records (~22 fields), through the portable
 *    MetadataStore (validation included), against bare better-sqlite3 inserts of the same JSON
 *    into a table without field indexes; then the search database of `--records` (default
 *    1,000,000) records, filled with putMany calls of 10,000.
 * 2. Search over it: p50/p95 latency of limit-100 queries on indexed fields (with the query
 *    plan), against the same query on a field without an index.
 * 3. fs store put + get of `--objects` (2,000) objects of `--object-kb` (512) KB with
 *    `--concurrency` (8) at once, against fs.writeFile/readFile of the same bytes, plain, with
 *    fsync, with md5, and as a crash-safe put written by hand (temp file, md5, fsync, rename,
 *    directory fsync), with the CPU time of the writes (steadier than the times on a VM
 *    whose page cache costs vary); best of `--rounds` (2) alternated rounds, each variant after a `sync`
 *    and into a directory of its own, all kept until the last has run (5 GB a round by
 *    default). Then a listing of the keys.
 *
 * Data lives under .bench-data/stores/ (removed afterwards unless --keep).
 */
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { open, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import {
  MetadataStore,
  ObjectStore,
  mapBounded,
  type Query,
  type RecordData,
  type StoredRecord,
} from '@som/core';
import { FsObjectDriver } from '@som/fs';
import { SqliteMetadataDriver, encodeKey } from '@som/sqlite';

const DATA = join(__dirname, '..', '..', '.bench-data', 'stores');

interface Args {
  records: number;
  objects: number;
  objectKb: number;
  concurrency: number;
  rounds: number;
  keep: boolean;
  only: 'fs' | 'sqlite' | undefined;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = {
    records: 1_000_000,
    objects: 2000,
    objectKb: 512,
    concurrency: 8,
    rounds: 2,
    keep: false,
    only: undefined,
  };
  const numbers: Record<string, keyof Args> = {
    '--records': 'records',
    '--objects': 'objects',
    '--object-kb': 'objectKb',
    '--concurrency': 'concurrency',
    '--rounds': 'rounds',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (flag === '--keep') args.keep = true;
    else if (flag === '--only') args.only = argv[++i] === 'fs' ? 'fs' : 'sqlite';
    else if (flag in numbers) (args[numbers[flag] as keyof Args] as number) = Number(argv[++i]);
    else throw new Error(`unknown argument ${flag}`);
  }
  return args;
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;
const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function machine(): void {
  const cpus = os.cpus();
  const sqlite = new Database(':memory:');
  const version = (sqlite.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  sqlite.close();
  const fsType = execFileSync('stat', ['-f', '-c', '%T', DATA]).toString().trim();
  console.log(
    `machine: ${cpus[0]?.model ?? 'cpu'} x ${cpus.length}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB RAM, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `         Linux ${os.release()}, Node ${process.version}, SQLite ${version}, ${fsType} at ${DATA}\n`,
  );
}

// ---- records ----------------------------------------------------------------------------

const MODALITIES = ['CT', 'MR', 'CR', 'US', 'PT'];
const BODY_PARTS = ['CHEST', 'HEAD', 'ABDOMEN', 'PELVIS', 'KNEE', 'SPINE'];
const MAKERS = ['GE MEDICAL SYSTEMS', 'SIEMENS', 'Philips', 'TOSHIBA', 'Canon'];
const UID_ROOT = '1.2.826.0.1.3680043.8.498';
const IMAGES_PER_SERIES = 100;
const SERIES_PER_PATIENT = 4;

/** The i-th Image record of a realistic dataset: 100 images per series, 4 series per patient. */
function imageRecord(i: number): StoredRecord {
  const series = Math.floor(i / IMAGES_PER_SERIES);
  const patient = Math.floor(series / SERIES_PER_PATIENT);
  const collection = `c${patient % 10}`;
  const entity = `SUBJ-${String(patient).padStart(6, '0')}`;
  const image = `${UID_ROOT}.${patient}.${series}.${i}`;
  const data: RecordData = {
    uid: image,
    collection,
    entity,
    objectName: `Collection/${collection}/Entity/${entity}/Images/${image}`,
    size: 520_000 + (i % 20_000),
    md5: (i * 2654435761).toString(16).padStart(32, '0').slice(-32),
    contentType: 'application/dicom',
    created: '2024-05-01T10:00:00.000Z',
    updated: '2024-05-01T10:00:00.000Z',
    Modality: MODALITIES[patient % MODALITIES.length] as string,
    BodyPartExamined: BODY_PARTS[series % BODY_PARTS.length] as string,
    StudyDate: `20${String(10 + (patient % 14)).padStart(2, '0')}${String((patient % 12) + 1).padStart(2, '0')}${String((patient % 28) + 1).padStart(2, '0')}`,
    SeriesDescription: `Series ${series % SERIES_PER_PATIENT} ${BODY_PARTS[series % BODY_PARTS.length]} 5mm`,
    Manufacturer: MAKERS[patient % MAKERS.length] as string,
    Rows: 512,
    Columns: 512,
    SliceThickness: [0.625, 1.25, 2.5, 5][series % 4] as number,
    PatientID: entity,
    StudyInstanceUID: `${UID_ROOT}.${patient}`,
    SeriesInstanceUID: `${UID_ROOT}.${patient}.${series}`,
    SOPInstanceUID: image,
    InstanceNumber: (i % IMAGES_PER_SERIES) + 1,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
  };
  return { key: ['Collection', collection, 'Entity', entity, 'Image', image], data };
}

function* batches(from: number, to: number, size: number): Generator<StoredRecord[]> {
  for (let start = from; start < to; start += size) {
    yield Array.from({ length: Math.min(size, to - start) }, (_, k) => imageRecord(start + k));
  }
}

/** Records per second of bare inserts of the same JSON into a table without field indexes. */
function bareInserts(path: string, count: number): number {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(
    'CREATE TABLE records (key BLOB PRIMARY KEY, kind TEXT NOT NULL, parent BLOB NOT NULL, props TEXT NOT NULL) WITHOUT ROWID',
  );
  const insert = db.prepare('INSERT INTO records VALUES (?, ?, ?, ?)');
  const write = db.transaction((records: StoredRecord[]) => {
    for (const r of records)
      insert.run(encodeKey(r.key), 'Image', encodeKey(r.key.slice(0, -2)), JSON.stringify(r.data));
  });
  const start = process.hrtime.bigint();
  for (const batch of batches(0, count, 1000)) write(batch);
  const rate = count / seconds(start);
  db.close();
  return rate;
}

async function putManyRate(path: string, count: number, callSize: number): Promise<number> {
  const store = new MetadataStore(new SqliteMetadataDriver({ path }));
  const start = process.hrtime.bigint();
  for (const batch of batches(0, count, callSize)) await store.putMany(batch);
  const rate = count / seconds(start);
  await store.close();
  return rate;
}

async function sqliteWrites(args: Args): Promise<MetadataStore> {
  console.log('== SQLite putMany (Image records of 22 fields, ~1 KB of JSON each) ==');
  const sample = 100_000;
  const bare = bareInserts(join(DATA, 'bare.db'), sample);
  const big = await putManyRate(join(DATA, 'calls-10000.db'), sample, 10_000);
  const client = await putManyRate(join(DATA, 'calls-250.db'), sample, 250);
  console.log(`  ${fmt(sample)} records into an empty database:`);
  console.log(
    `    bare better-sqlite3 INSERTs, no field index (baseline) ${fmt(bare).padStart(8)} records/s`,
  );
  console.log(
    `    putMany, calls of 10,000 (13 expression indexes)       ${fmt(big).padStart(8)} records/s  ${ratio(big, bare)} of baseline`,
  );
  console.log(
    `    putMany, calls of 250 (the Client's batch)             ${fmt(client).padStart(8)} records/s  ${ratio(client, bare)} of baseline`,
  );

  console.log(
    `  filling the search database with ${fmt(args.records)} records (putMany calls of 10,000):`,
  );
  const store = new MetadataStore(new SqliteMetadataDriver({ path: join(DATA, 'search.db') }));
  const start = process.hrtime.bigint();
  let lap = process.hrtime.bigint();
  let done = 0;
  const step = Math.max(10_000, Math.floor(args.records / 5 / 10_000) * 10_000);
  for (const batch of batches(0, args.records, 10_000)) {
    await store.putMany(batch);
    done += batch.length;
    if (done % step === 0 || done === args.records) {
      console.log(
        `    ${fmt(done).padStart(9)} records: ${fmt(step / seconds(lap)).padStart(7)} records/s over the last ${fmt(step)}`,
      );
      lap = process.hrtime.bigint();
    }
  }
  console.log(`    overall ${fmt(args.records / seconds(start))} records/s\n`);
  return store;
}

// ---- search -----------------------------------------------------------------------------

async function latencies(
  store: MetadataStore,
  queries: readonly Query[],
  runs: number,
): Promise<{ p50: number; p95: number; max: number; found: number }> {
  for (const query of queries.slice(0, 5)) await store.query(query); // warm the cache
  const times: number[] = [];
  let found = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    const page = await store.query(queries[i % queries.length] as Query);
    times.push(seconds(start) * 1000);
    found += page.records.length;
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    max: times[times.length - 1] as number,
    found: found / runs,
  };
}

async function search(store: MetadataStore, args: Args): Promise<void> {
  console.log(`== Search over ${fmt(args.records)} Image records (limit 100) ==`);
  const driver = store.driver as SqliteMetadataDriver;
  const series = Math.floor(args.records / IMAGES_PER_SERIES);
  const eq = (field: string, values: readonly (string | number)[]): Query[] =>
    values.map((value) => ({ kind: 'Image', filters: [{ field, op: '=', value }], limit: 100 }));
  const cases: [string, Query[], number][] = [
    ['Modality = (5 values, 20% each)', eq('Modality', MODALITIES), 200],
    [
      'SeriesInstanceUID = (100 images each)',
      eq(
        'SeriesInstanceUID',
        Array.from(
          { length: 50 },
          (_, k) =>
            `${UID_ROOT}.${Math.floor(((k * 7919) % series) / SERIES_PER_PATIENT)}.${(k * 7919) % series}`,
        ),
      ),
      200,
    ],
    [
      'SOPInstanceUID = (one image)',
      eq(
        'SOPInstanceUID',
        Array.from({ length: 50 }, (_, k) => {
          const i = (k * 104729) % args.records;
          const s = Math.floor(i / IMAGES_PER_SERIES);
          return `${UID_ROOT}.${Math.floor(s / SERIES_PER_PATIENT)}.${s}.${i}`;
        }),
      ),
      200,
    ],
    [
      'Modality = CT within a collection',
      MODALITIES.map((m, k) => ({
        kind: 'Image',
        ancestor: ['Collection', `c${k}`],
        filters: [{ field: 'Modality', op: '=', value: m }],
        limit: 100,
      })),
      200,
    ],
    [
      'StudyDate >= d ORDER BY StudyDate',
      ['20120101', '20150601', '20200101'].map((d) => ({
        kind: 'Image',
        filters: [{ field: 'StudyDate', op: '>=', value: d }],
        orderBy: { field: 'StudyDate' },
        limit: 100,
      })),
      200,
    ],
  ];
  const contrast: Query[] = [1, 50, 99].map((n) => ({
    kind: 'Image',
    filters: [{ field: 'InstanceNumber', op: '=', value: n }],
    limit: 100,
  }));
  const noMatch: Query[] = [
    { kind: 'Image', filters: [{ field: 'InstanceNumber', op: '=', value: 1000 }], limit: 100 },
  ];

  for (const [label, queries, runs] of cases) {
    const r = await latencies(store, queries, runs);
    console.log(
      `  ${label.padEnd(42)} p50 ${r.p50.toFixed(2).padStart(6)} ms  p95 ${r.p95.toFixed(2).padStart(6)} ms  max ${r.max.toFixed(1).padStart(6)} ms  (${fmt(r.found)} records/page)`,
    );
  }
  const indexed = await latencies(store, eq('Modality', MODALITIES), 50);
  const scan = await latencies(store, contrast, 6);
  const full = await latencies(store, noMatch, 2);
  console.log(
    `  ${'InstanceNumber = (no index: the contrast)'.padEnd(42)} p50 ${scan.p50.toFixed(2).padStart(6)} ms  p95 ${scan.p95.toFixed(2).padStart(6)} ms  (${fmt(scan.found)} records/page; stops after 100 matches)`,
  );
  console.log(
    `  ${'InstanceNumber = 1000 (no index, no match)'.padEnd(42)} p50 ${full.p50.toFixed(0).padStart(6)} ms  (reads every Image record)`,
  );
  console.log(
    `  indexed Modality p50 is ${ratio(scan.p50, indexed.p50)} faster than the unindexed InstanceNumber (1% match), ${ratio(full.p50, indexed.p50)} faster than a full scan`,
  );

  console.log('  EXPLAIN QUERY PLAN, Modality = CT (indexed):');
  for (const step of await driver.explain(cases[0]?.[1][0] as Query)) console.log(`    ${step}`);
  console.log('  EXPLAIN QUERY PLAN, InstanceNumber = 1 (not indexed):');
  for (const step of await driver.explain(contrast[0] as Query)) console.log(`    ${step}`);

  let pageToken: string | undefined;
  const pageTimes: number[] = [];
  for (let page = 0; page < 50; page++) {
    const start = process.hrtime.bigint();
    const result = await store.query({
      ...(cases[0]?.[1][0] as Query),
      ...(pageToken ? { pageToken } : {}),
    });
    pageTimes.push(seconds(start) * 1000);
    pageToken = result.nextPageToken;
  }
  pageTimes.sort((a, b) => a - b);
  console.log(
    `  keyset pages 1-50 of Modality = CT: p50 ${percentile(pageTimes, 50).toFixed(2)} ms, slowest ${(pageTimes[pageTimes.length - 1] as number).toFixed(2)} ms\n`,
  );
}

// ---- fs ---------------------------------------------------------------------------------

interface Phase {
  write: number;
  read: number;
  /** CPU seconds of the process (all its threads) while writing: user and system. */
  user: number;
  system: number;
}

/** Seconds to write then read back every object with `put` and `get`, `concurrency` at once. */
async function timed(
  count: number,
  concurrency: number,
  put: (i: number) => Promise<unknown>,
  get: (i: number) => Promise<number>,
): Promise<Phase> {
  const indexes = Array.from({ length: count }, (_, i) => i);
  let start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for await (const written of mapBounded(indexes, concurrency, put)) void written;
  const write = seconds(start);
  const { user, system } = process.cpuUsage(cpu);
  start = process.hrtime.bigint();
  let bytes = 0;
  for await (const read of mapBounded(indexes, concurrency, get)) bytes += read;
  const read = seconds(start);
  if (bytes === 0) throw new Error('nothing read');
  return { write, read, user: user / 1e6, system: system / 1e6 };
}

async function readStream(stream: Readable): Promise<number> {
  let size = 0;
  for await (const chunk of stream) size += (chunk as Buffer).length;
  return size;
}

async function fsStore(args: Args): Promise<void> {
  const size = args.objectKb * 1024;
  const mb = (args.objects * size) / 2 ** 20;
  console.log(
    `== fs store: ${fmt(args.objects)} objects of ${fmt(args.objectKb)} KB (${fmt(mb)} MiB), ${args.concurrency} at once, best of ${args.rounds} rounds ==`,
  );
  const payloads = Array.from({ length: 16 }, () => randomBytes(size)); // distinct bytes, cycled
  const bytesOf = (i: number): Buffer => payloads[i % payloads.length] as Buffer;
  const key = (i: number): string => `Collection/bench/Entity/e${i % 20}/Images/${UID_ROOT}.${i}`;

  const readBack = async (dir: string, i: number): Promise<number> =>
    (await readFile(join(dir, `o${i}`))).length;
  const variants: Record<string, (dir: string) => Promise<Phase>> = {
    'writeFile / readFile': (dir) =>
      timed(
        args.objects,
        args.concurrency,
        (i) => writeFile(join(dir, `o${i}`), bytesOf(i)),
        (i) => readBack(dir, i),
      ),
    'writeFile + fsync': (dir) =>
      timed(
        args.objects,
        args.concurrency,
        async (i) => {
          const handle = await open(join(dir, `o${i}`), 'w');
          await handle.writeFile(bytesOf(i));
          await handle.sync();
          await handle.close();
        },
        (i) => readBack(dir, i),
      ),
    'writeFile + md5': (dir) =>
      timed(
        args.objects,
        args.concurrency,
        async (i) => {
          createHash('md5').update(bytesOf(i)).digest('hex');
          await writeFile(join(dir, `o${i}`), bytesOf(i));
        },
        (i) => readBack(dir, i),
      ),
    'crash-safe put by hand': (dir) =>
      timed(
        args.objects,
        args.concurrency,
        async (i) => {
          // temp file + md5 + fsync + rename + directory fsync: what any atomic, durable, checksummed put does
          const temp = join(dir, `.tmp${i}`);
          const handle = await open(temp, 'wx');
          createHash('md5').update(bytesOf(i)).digest('hex');
          await handle.writeFile(bytesOf(i));
          await handle.sync();
          await handle.close();
          await rename(temp, join(dir, `o${i}`));
          const parent = await open(dir, 'r');
          await parent.sync();
          await parent.close();
        },
        (i) => readBack(dir, i),
      ),
    'som fs store put / get': async (dir) => {
      const store = new ObjectStore(new FsObjectDriver({ root: dir }));
      return timed(
        args.objects,
        args.concurrency,
        (i) => store.put(key(i), Readable.from([bytesOf(i)]), { contentType: 'application/dicom' }),
        async (i) => readStream(await store.get(key(i))),
      );
    },
  };
  const best: Record<string, Phase> = {};
  // Every variant writes into a directory of its own, kept until all have run, and starts
  // after a sync: on ext4 without a journal (these machines), files created within a minute
  // or more of a mass delete in the same block group first scan the deleted inodes (about
  // 1 ms a file), which slowed whichever variant followed a removal by up to half.
  const dirs: string[] = [];
  for (let round = 0; round < args.rounds; round++) {
    for (const [name, run] of Object.entries(variants)) {
      const dir = join(DATA, `fs-${round}-${dirs.length}`);
      dirs.push(dir);
      mkdirSync(dir, { recursive: true });
      execFileSync('sync');
      const phase = await run(dir);
      const prior = best[name];
      best[name] = {
        write: Math.min(phase.write, prior?.write ?? Infinity),
        read: Math.min(phase.read, prior?.read ?? Infinity),
        user: Math.min(phase.user, prior?.user ?? Infinity),
        system: Math.min(phase.system, prior?.system ?? Infinity),
      };
    }
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  const rows = Object.entries(best).map(([name, p]) => ({
    name,
    write: mb / p.write,
    read: mb / p.read,
    both: (2 * mb) / (p.write + p.read),
    cpu: `${p.user.toFixed(2)} / ${p.system.toFixed(2)}`,
  }));
  const som = rows[rows.length - 1] as (typeof rows)[0];
  console.log(
    `  ${'variant (write / read)'.padEnd(28)} ${'write MiB/s'.padStart(11)} ${'read MiB/s'.padStart(11)} ${'put+get MiB/s'.padStart(14)} ${'write CPU s user / sys'.padStart(23)}   som's ratio to it (write, read, put+get)`,
  );
  for (const r of rows) {
    const ratios =
      r === som
        ? ''
        : `   ${ratio(som.write, r.write)}, ${ratio(som.read, r.read)}, ${ratio(som.both, r.both)}`;
    console.log(
      `  ${r.name.padEnd(28)} ${fmt(r.write).padStart(11)} ${fmt(r.read).padStart(11)} ${fmt(r.both).padStart(14)} ${r.cpu.padStart(23)}${ratios}`,
    );
  }
  const md5Rate = (() => {
    const start = process.hrtime.bigint();
    for (let i = 0; i < 200; i++) createHash('md5').update(bytesOf(i)).digest();
    return (200 * size) / 2 ** 20 / seconds(start);
  })();
  console.log(
    `  (md5 alone on this CPU: ${fmt(md5Rate)} MiB/s on one core; every put computes it while streaming)`,
  );

  const dir = join(DATA, 'fs-list');
  const store = new ObjectStore(new FsObjectDriver({ root: dir }));
  for await (const written of mapBounded(
    Array.from({ length: args.objects }, (_, i) => i),
    args.concurrency,
    (i) => store.put(`list/${key(i)}`, 'x'),
  ))
    void written;
  let start = process.hrtime.bigint();
  let listed = 0;
  for await (const object of store.listAll('list/')) listed += object.size;
  const listing = seconds(start);
  start = process.hrtime.bigint();
  let walked = 0;
  for (const entry of await readdir(join(dir, 'list'), { recursive: true, withFileTypes: true }))
    if (entry.isFile()) walked++;
  const baseline = seconds(start);
  console.log(
    `  listing ${fmt(listed)} keys in pages of 1000: ${(listing * 1000).toFixed(1)} ms; recursive readdir of the same tree (baseline, unsorted, no sizes): ${(baseline * 1000).toFixed(1)} ms (${fmt(walked)} files incl. sidecars): ${ratio(listing, baseline)}\n`,
  );
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  rmSync(DATA, { recursive: true, force: true });
  mkdirSync(DATA, { recursive: true });
  machine();
  try {
    if (args.only !== 'sqlite') await fsStore(args);
    if (args.only !== 'fs') {
      const store = await sqliteWrites(args);
      await search(store, args);
      await store.close();
    }
  } finally {
    if (!args.keep) rmSync(DATA, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
