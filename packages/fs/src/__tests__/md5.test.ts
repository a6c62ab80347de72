/**
 * The MD5 of a put, in the calling thread for small objects (and for all on two CPUs or
 * fewer) and in the shared helper thread for large ones: the same digests either way,
 * whatever the chunking and however many at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import { THREADED_FROM, THREADED_FROM_CPUS, startMd5 } from '../md5';

const md5Of = (chunks: readonly Buffer[]): string => {
  const hash = createHash('md5');
  for (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
};

/** Enough CPUs for large objects to go to the helper thread. */
const MANY_CPUS = THREADED_FROM_CPUS;

async function digest(chunks: readonly Buffer[], cpus = MANY_CPUS): Promise<string> {
  const md5 = startMd5(chunks[0]?.length ?? 0, cpus);
  for (const chunk of chunks) await md5.update(chunk);
  return md5.digest();
}

describe('startMd5', () => {
  it('hashes small and large objects, in one chunk or many, as createHash does', async () => {
    const cases: Buffer[][] = [
      [],
      [Buffer.from('small')],
      [randomBytes(THREADED_FROM)],
      [randomBytes(3 << 20)], // larger than a slot of the ring: hashed in pieces
      [randomBytes(THREADED_FROM), Buffer.alloc(0), randomBytes(17), randomBytes(2 << 20)],
    ];
    for (const chunks of cases) {
      expect(await digest(chunks)).toBe(md5Of(chunks));
      expect(await digest(chunks, THREADED_FROM_CPUS - 1)).toBe(md5Of(chunks));
    }
  });

  it('keeps many large objects hashed at once apart (more than the ring holds)', async () => {
    const objects = Array.from({ length: 24 }, (_, i) => [
      randomBytes(THREADED_FROM + i),
      randomBytes(700_000),
    ]);
    const digests = await Promise.all(objects.map((chunks) => digest(chunks)));
    expect(digests).toEqual(objects.map(md5Of));
  });

  it('lets the caller reuse a chunk once it is added, and forgets a discarded object', async () => {
    const chunk = randomBytes(THREADED_FROM * 2);
    const expected = md5Of([chunk]);
    const md5 = startMd5(chunk.length, MANY_CPUS);
    await md5.update(chunk);
    chunk.fill(0); // copied already
    const discarded = startMd5(chunk.length, MANY_CPUS);
    await discarded.update(randomBytes(THREADED_FROM));
    discarded.discard();
    expect(await md5.digest()).toBe(expected);
  });
});
