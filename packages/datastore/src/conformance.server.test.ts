import { runMetadataStoreConformance } from '@som/conformance';
import { startDatastoreEmulator, type DatastoreEmulator } from '@som/testing';
import { emulatorDriver } from './__tests__/emulator';

let emulator: DatastoreEmulator | undefined;

runMetadataStoreConformance({
  name: 'datastore (emulator)',
  makeDriver: async () => {
    emulator = await startDatastoreEmulator();
    return emulatorDriver(emulator);
  },
  teardown: async () => emulator?.stop(),
  unsupported: {
    inFilter:
      'the Datastore emulator rejects IN with more than one value (INVALID_ARGUMENT "Filter has 3 properties, expected 1"); Firestore in Datastore mode supports it',
  },
});
