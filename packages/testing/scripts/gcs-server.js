// Runs firebase-tools' Cloud Storage emulator (pinned: firebase-tools 15.34.2, whose internal
// lib/ paths this reaches into) without its Java rules runtime, which needs Java 21 and a jar
// download: every request is allowed (no security rules).
// Environment: GCS_HOST (default 127.0.0.1), GCS_PORT (default 9199), GCS_PROJECT, GCS_DIR
// (default: a fresh temporary directory). Blobs go to GCS_DIR, removed on SIGTERM/SIGINT:
// each instance needs its own, as firebase-tools would otherwise share (and on stop delete)
// $TMPDIR/firebase.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const dir = process.env.GCS_DIR || mkdtempSync(join(tmpdir(), 'som-gcs-emulator-'));
process.env.TMPDIR = dir; // read by firebase-tools through os.tmpdir()

const { StorageEmulator } = require('firebase-tools/lib/emulator/storage');
const { EmulatorRegistry } = require('firebase-tools/lib/emulator/registry');

const host = process.env.GCS_HOST || '127.0.0.1';
const port = Number(process.env.GCS_PORT || 9199);
const projectId = process.env.GCS_PROJECT || 'demo-test';
const allowAll = {
  verify: async () => ({ permitted: true, issues: { exist: () => false, all: [] } }),
};

const removeDir = () => rmSync(dir, { recursive: true, force: true });

let emulator;
const stop = async () => {
  if (emulator) await EmulatorRegistry.stop(emulator.getName()).catch(() => undefined);
  removeDir();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

(async () => {
  const started = Date.now();
  emulator = new StorageEmulator({
    projectId,
    host,
    port,
    rules: { name: 'none', content: '' },
    auto_download: false,
  });
  emulator._rulesRuntime.start = async () => {};
  emulator._rulesRuntime.stop = async () => {};
  emulator._rulesManager = {
    start: async () => {},
    stop: async () => {},
    getRuleset: () => allowAll,
  };
  await EmulatorRegistry.start(emulator); // registers host/port (needed for bucket/object URLs)
  console.log(
    `GCS emulator (firebase-tools storage) listening on http://${host}:${port} in ${Date.now() - started} ms`,
  );
})().catch((err) => {
  console.error(err);
  removeDir();
  process.exit(1);
});
