/**
 * A worker thread of {@link DeidPool}: it reads each file itself, de-identifies it and sends
 * the bytes back (transferred, not copied), or writes them to the output file `som deid`
 * named (the only file it ever writes). Its settings (recipe, functions, variables, pixel
 * filter, OCR) and key come from `workerData`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCode, errorMessage } from '@som/core';
import { isQuarantine } from '@som/dicom';
import { SecretKey, loadOrCreateKey } from '@som/identifiers';
import { deidentifyInto, deidentifyPath } from './deid-file';
import { fileRefusalOf } from './failure';
import type { SentBytes, WorkerInit, WorkerJob, WorkerReply } from './deid-pool';
import { loadRecipeSettings, type DeidSettings } from './settings';

const init = workerData as WorkerInit;
const port = parentPort;

const settings: Promise<DeidSettings> = (async () => ({
  ...(await loadRecipeSettings(init)),
  key: 'secret' in init ? SecretKey.from(init.secret) : await loadOrCreateKey(init.keyFile),
}))();

/**
 * The memory to send `buffer` in: the ArrayBuffer under it, transferred whole (the buffer
 * is a view of it, from `offset`), or a copy of a small buffer, which may share Node's pool
 * with others. A larger buffer here is one of this file's own (see in-place.ts): nothing
 * else uses its ArrayBuffer.
 */
function sendable(buffer: Buffer): SentBytes {
  const pooled = buffer.length < Buffer.poolSize >>> 1;
  if (!pooled && buffer.buffer instanceof ArrayBuffer)
    return { memory: buffer.buffer, offset: buffer.byteOffset, length: buffer.length };
  return { memory: new Uint8Array(buffer).buffer, offset: 0, length: buffer.length };
}

/** The answer to `job`, and what to transfer with it. */
async function answer(job: WorkerJob): Promise<[WorkerReply, ArrayBuffer[]]> {
  if ('target' in job) {
    const output = await deidentifyInto(
      job.path,
      job.source,
      job.aliases,
      await settings,
      job.target,
      job.temp,
    );
    return [{ id: job.id, ok: true, output }, []];
  }
  const file = await deidentifyPath(job.path, job.source, job.aliases, await settings, job.hash);
  const bytes = sendable(file.bytes);
  return [{ id: job.id, ok: true, file: { ...file, bytes } }, [bytes.memory]];
}

port?.on('message', (job: WorkerJob) => {
  answer(job).then(
    ([reply, transfer]) => port.postMessage(reply, transfer),
    (err: unknown) => {
      const reply: WorkerReply = {
        id: job.id,
        ok: false,
        code: errorCode(err),
        message: errorMessage(err),
        ...(fileRefusalOf(err) !== undefined ? { refusal: fileRefusalOf(err) } : {}),
        ...(isQuarantine(err) ? { quarantine: err.quarantine } : {}),
      };
      port.postMessage(reply);
    },
  );
});
