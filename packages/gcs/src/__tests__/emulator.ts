/**
 * Test helpers: the GCS emulator with a throwaway service-account key (the emulator checks
 * no signature, but signing a URL needs a key), and drivers on fresh buckets.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGcsEmulator, type GcsEmulator } from '@som/testing';
import { GcsObjectDriver, type GcsConfig } from '..';

/** A running emulator, a key file for it, and a way to make drivers on fresh buckets. */
export interface GcsTestBed {
  emulator: GcsEmulator;
  /** A throwaway service-account key file (never used against Google). */
  keyFilename: string;
  /** Settings for a fresh bucket on the emulator. */
  config(overrides?: Partial<GcsConfig>): GcsConfig;
  /** A driver on a fresh bucket. */
  driver(overrides?: Partial<GcsConfig>): GcsObjectDriver;
  stop(): Promise<void>;
}

/** Write a throwaway service-account key file into `dir`. */
export function writeTestKey(dir: string): string {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const path = join(dir, 'test-key.json');
  const key = {
    type: 'service_account',
    project_id: 'demo-test',
    client_email: 'som-test@demo-test.iam.gserviceaccount.com',
    private_key: privateKey,
  };
  writeFileSync(path, JSON.stringify(key), { mode: 0o600 });
  return path;
}

/** Start the emulator and make a key file. */
export async function startGcsTestBed(): Promise<GcsTestBed> {
  const emulator = await startGcsEmulator();
  const dir = mkdtempSync(join(tmpdir(), 'som-gcs-test-'));
  const keyFilename = writeTestKey(dir);
  const config = (overrides: Partial<GcsConfig> = {}): GcsConfig => ({
    bucket: `som-test-${randomUUID().slice(0, 8)}`,
    apiEndpoint: emulator.apiEndpoint,
    projectId: 'demo-test',
    keyFilename,
    ...overrides,
  });
  return {
    emulator,
    keyFilename,
    config,
    driver: (overrides) => new GcsObjectDriver(config(overrides)),
    async stop() {
      await emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
