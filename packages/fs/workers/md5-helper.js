// The MD5 helper thread of @som/fs (see src/md5.ts): hashes slots of the shared ring buffer
// it is given, in the order it is told, one MD5 per write id. Plain JavaScript, so that the
// same file runs beside the built package and beside its sources under the tests.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');

const ring = new Uint8Array(workerData.ring);
const hashes = new Map();

parentPort.on('message', (message) => {
  if (message.kind === 'update') {
    let hash = hashes.get(message.id);
    if (hash === undefined) hashes.set(message.id, (hash = createHash('md5')));
    hash.update(ring.subarray(message.offset, message.offset + message.length));
    parentPort.postMessage({ kind: 'free', slot: message.slot });
  } else if (message.kind === 'digest') {
    const hash = hashes.get(message.id) ?? createHash('md5');
    hashes.delete(message.id);
    parentPort.postMessage({ kind: 'digest', id: message.id, md5: hash.digest('hex') });
  } else hashes.delete(message.id);
});
