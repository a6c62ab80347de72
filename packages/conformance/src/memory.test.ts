import { MemoryMetadataDriver, MemoryObjectDriver } from '@som/core';
import { runMetadataStoreConformance, runObjectStoreConformance } from '.';

runObjectStoreConformance({
  name: 'memory',
  makeDriver: async () => new MemoryObjectDriver(),
  unsupported: { streaming: 'the reference driver holds every object in memory by design' },
});

runMetadataStoreConformance({ name: 'memory', makeDriver: async () => new MemoryMetadataDriver() });
