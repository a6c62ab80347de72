import { runObjectStoreConformance } from '@som/conformance';
import { startGcsTestBed, type GcsTestBed } from './__tests__/emulator';

let bed: GcsTestBed | undefined;

const IGNORES_PRECONDITIONS =
  'the firebase emulator ignores ifGenerationMatch, so every create-if-absent write succeeds';

runObjectStoreConformance({
  name: 'gcs (firebase emulator)',
  makeDriver: async () => {
    bed = await startGcsTestBed();
    // A small threshold so that the suite's 1 MiB + 3 and larger objects go resumable.
    return bed.driver({ resumableThresholdBytes: 1 << 20 });
  },
  teardown: async () => bed?.stop(),
  // The emulator takes at most 130 MiB in one request (it reads whole bodies into memory).
  streamingBytes: 120 * (1 << 20),
  unsupported: {
    ifNotExists: IGNORES_PRECONDITIONS,
    concurrentIfNotExists: IGNORES_PRECONDITIONS,
    copy: 'the firebase emulator answers 501 to the rewrite request the client sends',
    signedUrls:
      'the firebase emulator answers 501 to a PUT through a signed URL (signed GET is tested in driver.server.test.ts)',
  },
});
