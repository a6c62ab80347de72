import { runMetadataStoreConformance } from '@som/conformance';
import { startDatastoreEmulator, type DatastoreEmulator } from '@som/testing';
import { emulatorDriver } from './__tests__/emulator';

let emulator: DatastoreEmulator | undefined;

runMetadataStoreConformance({
  name: 'datastore (emulator)',
  setup: async () => {
    emulator = await startDatastoreEmulator();
  },
  makeDriver: async () => {
    if (emulator === undefined) throw new Error('the Datastore emulator did not start');
    return emulatorDriver(emulator); // a fresh namespace
  },
  teardown: async () => emulator?.stop(),
  unsupported: {
    inFilter:
      'the Datastore emulator rejects IN with more than one value (INVALID_ARGUMENT "Filter has 3 properties, expected 1"); Firestore in Datastore mode supports it',
  },
});
