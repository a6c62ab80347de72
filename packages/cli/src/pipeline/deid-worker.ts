/**
 * A worker thread of {@link DeidPool}: it reads each file itself, de-identifies it and sends
 * the bytes back (transferred, not copied), or writes them to the output file `som deid`
 * named (the only file it ever writes). Its recipe and key come from `workerData`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { errorCode, errorMessage } from '@som/core';
import { SecretKey, loadOrCreateKey } from '@som/identifiers';
import { deidentifyInto, deidentifyPath, loadRecipe, type DeidSettings } from './deid-file';
import type { WorkerInit, WorkerJob, WorkerReply } from './deid-pool';

const init = workerData as WorkerInit;
const port = parentPort;

const settings: Promise<DeidSettings> = (async () => ({
  recipe: await loadRecipe(init.recipeFile),
  key: 'secret' in init ? SecretKey.from(init.secret) : await loadOrCreateKey(init.keyFile),
}))();

/** The bytes of `buffer` as an ArrayBuffer of their own, so transferring it detaches nothing else. */
function ownArrayBuffer(buffer: Buffer): ArrayBuffer {
  const whole =
    buffer.byteOffset === 0 &&
    buffer.byteLength === buffer.buffer.byteLength &&
    buffer.buffer instanceof ArrayBuffer;
  return whole
    ? (buffer.buffer as ArrayBuffer)
    : (buffer.buffer.slice(
        buffer.byteOffset,
        buffer.byteOffset + buffer.byteLength,
      ) as ArrayBuffer);
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
    );
    return [{ id: job.id, ok: true, output }, []];
  }
  const file = await deidentifyPath(job.path, job.source, job.aliases, await settings, job.hash);
  const bytes = ownArrayBuffer(file.bytes);
  return [{ id: job.id, ok: true, file: { ...file, bytes } }, [bytes]];
}

port?.on('message', (job: WorkerJob) => {
  answer(job).then(
    ([reply, transfer]) => port.postMessage(reply, transfer),
    (err: unknown) =>
      port.postMessage({ id: job.id, ok: false, code: errorCode(err), message: errorMessage(err) }),
  );
});
