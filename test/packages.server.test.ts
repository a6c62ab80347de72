/**
 * The published packages install outside the monorepo: `npm pack` of each (once), installed
 * into a fresh project in the temporary directory with `npm ci --offline` (the tarballs,
 * and the very versions the monorepo's lockfile pins, from the npm cache), then the project
 * type-checks against their declarations with `skipLibCheck: false` and runs them.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

/** The packages published for users (`testing` is the monorepo's own test support). */
const PUBLISHED = [
  'core',
  'conformance',
  'fs',
  'sqlite',
  'google',
  'gcs',
  'datastore',
  'minio',
  'identifiers',
  'dicom',
  'publish',
  'serve',
  'cli',
];

/** What the user's project adds itself: the compiler and Node's types. */
const USER_DEPENDENCIES = ['typescript', '@types/node'];

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  link?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  [field: string]: unknown;
}

type Lock = { packages: Record<string, LockEntry> };

interface Packed {
  name: string;
  filename: string;
  integrity: string;
}

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The lock path a package `name` required from `from` resolves to (Node's lookup). */
function resolveIn(packages: Lock['packages'], from: string, name: string): string | undefined {
  for (let dir = from; ;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (dir === '') return undefined;
    const up = dir.lastIndexOf('/node_modules/');
    dir = up < 0 ? '' : dir.slice(0, up);
  }
}

/**
 * A lockfile for the user's project: the published packages from their tarballs, and every
 * package they (and the user's own dependencies) need at the path and version of the
 * monorepo's lockfile, whose tree the project's is a part of.
 */
function userLock(root: Lock, packed: Packed[], user: Record<string, string>): Lock {
  const source = root.packages;
  // A workspace's own nested dependencies move under its place in node_modules.
  const workspaceAt = new Map(packed.map((p) => [`packages/${p.name.slice('@som/'.length)}`, p]));
  const at = (path: string): string => {
    for (const [dir, p] of workspaceAt)
      if (path.startsWith(`${dir}/`)) return `node_modules/${p.name}${path.slice(dir.length)}`;
    return path;
  };
  const packages: Lock['packages'] = {};
  const todo: string[] = [];
  for (const p of packed) {
    const dir = `packages/${p.name.slice('@som/'.length)}`;
    const manifest = source[dir] as LockEntry;
    const { dev: _dev, devOptional: _devOptional, ...entry } = manifest;
    packages[`node_modules/${p.name}`] = {
      ...entry,
      resolved: `file:../tarballs/${p.filename}`,
      integrity: p.integrity,
    };
    todo.push(dir);
  }
  for (const name of Object.keys(user)) todo.push(resolveIn(source, '', name) as string);
  const seen = new Set<string>();
  while (todo.length > 0) {
    const path = todo.pop() as string;
    if (seen.has(path)) continue;
    seen.add(path);
    const entry = source[path] as LockEntry;
    if (!workspaceAt.has(path)) {
      const { dev: _dev, devOptional: _devOptional, ...kept } = entry;
      packages[at(path)] = kept;
    }
    const needs = {
      ...entry.dependencies,
      ...entry.optionalDependencies,
      ...entry.peerDependencies,
    };
    for (const name of Object.keys(needs)) {
      if (name.startsWith('@som/')) continue;
      const found = resolveIn(source, path, name);
      if (found !== undefined) todo.push(found);
    }
  }
  const dependencies = Object.fromEntries([
    ...packed.map((p) => [p.name, `file:../tarballs/${p.filename}`]),
    ...Object.entries(user),
  ]);
  packages[''] = { name: 'som-user', version: '1.0.0', dependencies };
  return { ...root, packages } as Lock;
}

/** A program using each package's public API (type-checked, not run). */
const PROGRAM = `
import { openClient, publish, ADAPTERS } from '@som/publish';
import { Client, MemoryObjectDriver, MemoryMetadataDriver, md5Hex, type Md5Need } from '@som/core';
import type { ObjectStoreAdapter } from '@som/core/driver';
import { createContainer, TOKENS } from '@som/core/di';
import { runObjectStoreConformance, type ObjectStoreHarness } from '@som/conformance';
import { FsObjectDriver } from '@som/fs';
import { fsObjectStoreAdapter } from '@som/fs/adapter';
import { SqliteMetadataDriver } from '@som/sqlite';
import { sqliteMetadataStoreAdapter } from '@som/sqlite/adapter';
import { GcsObjectDriver } from '@som/gcs';
import { DatastoreMetadataDriver } from '@som/datastore';
import { MinioObjectDriver } from '@som/minio';
import { googleCredentials } from '@som/google';
import { readDicomHeader } from '@som/dicom';
import { remapUid } from '@som/identifiers';
import { startServer } from '@som/serve';
import { buildProgram } from '@som/cli';

export async function main(): Promise<number> {
  const client = new Client({ objectStore: new MemoryObjectDriver(), metadataStore: new MemoryMetadataDriver() });
  const need: Md5Need = await client.md5Need({ collection: 'c', entity: 'e' });
  const adapter: ObjectStoreAdapter = fsObjectStoreAdapter;
  const container = createContainer(
    { objectStore: { type: 'fs', root: 'objects' }, metadataStore: { type: 'sqlite', path: 'som.db' } },
    [adapter, sqliteMetadataStoreAdapter],
  );
  const harness: ObjectStoreHarness = { name: 'fs', makeDriver: async (group) => new FsObjectDriver({ root: group }) };
  const opened = await openClient({ settings: { objectStore: { type: 'memory' }, metadataStore: { type: 'memory' } } });
  const summary = await publish([], { client: opened, collection: 'c', dryRun: true });
  return [
    need, md5Hex('x'), container.get(TOKENS.Client), harness, runObjectStoreConformance, ADAPTERS,
    SqliteMetadataDriver, GcsObjectDriver, DatastoreMetadataDriver, MinioObjectDriver,
    googleCredentials, readDicomHeader, remapUid, startServer, buildProgram,
  ].length + summary.written;
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node20',
    moduleResolution: 'node16',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
  files: ['index.ts'],
};

describe('the published packages, installed outside the monorepo', () => {
  let dir: string;
  let project: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'som-packages-'));
    expect(relative(ROOT, dir).startsWith('..')).toBe(true);
    const tarballs = join(dir, 'tarballs');
    mkdirSync(tarballs);
    const workspaces = PUBLISHED.flatMap((name) => ['--workspace', `packages/${name}`]);
    const packed = (
      JSON.parse(
        npm(['pack', '--json', '--pack-destination', tarballs, ...workspaces], ROOT),
      ) as Packed[]
    ).map(({ name, filename, integrity }) => ({ name, filename, integrity }));
    const root = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as Lock;
    const user = Object.fromEntries(
      USER_DEPENDENCIES.map((name) => [
        name,
        root.packages[`node_modules/${name}`]?.version as string,
      ]),
    );
    project = join(dir, 'project');
    mkdirSync(project);
    const dependencies = Object.fromEntries([
      ...packed.map((p) => [p.name, `file:../tarballs/${p.filename}`]),
      ...Object.entries(user),
    ]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'som-user', version: '1.0.0', private: true, dependencies }),
    );
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(userLock(root, packed, user)));
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    writeFileSync(join(project, 'index.ts'), PROGRAM);
    npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
  }, 300_000);

  afterAll(() => {
    if (!process.env.SOM_KEEP_PACKAGES) rmSync(dir, { recursive: true, force: true });
  });

  it('installs every published package, and nothing only the tests need', () => {
    for (const name of PUBLISHED)
      expect(existsSync(join(project, 'node_modules', '@som', name, 'package.json'))).toBe(true);
    expect(existsSync(join(project, 'node_modules', '@som', 'testing'))).toBe(false);
    expect(existsSync(join(project, 'node_modules', 'firebase-tools'))).toBe(false);
  });

  it('type-checks a program using them with skipLibCheck false', () => {
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const checked = spawnSync(process.execPath, [tsc, '-p', '.'], {
      cwd: project,
      encoding: 'utf8',
    });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  }, 120_000);

  it('runs them: the som command answers --help, listing the adapters', () => {
    const help = execFileSync(
      process.execPath,
      [join(project, 'node_modules', '@som', 'cli', 'bin', 'som.js'), '--help'],
      { cwd: project, encoding: 'utf8' },
    );
    expect(help).toMatch(/object store +gcs +Google Cloud Storage/);
    expect(help).toMatch(/metadata store +sqlite +SQLite file/);
  });
});
