/**
 * Small helpers of the conformance suites.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

/** MD5 of bytes, lowercase hex. */
export function md5Hex(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

/** Every byte of a stream. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A test body with an optional timeout, as jest's `it` takes it. */
type TestFn = (name: string, fn: () => Promise<unknown>, timeout?: number) => void;

/**
 * `it` for a feature the backend has; for a feature the harness declares unsupported, a
 * skipped test whose name says so and why (so it shows in the output, never passes silently).
 */
export function featureTest(
  harness: string,
  feature: string,
  unsupportedReason: string | undefined,
): TestFn {
  if (unsupportedReason === undefined) return (name, fn, timeout) => it(name, fn, timeout);
  return (name, fn, timeout) =>
    it.skip(`[${feature} unsupported by ${harness}: ${unsupportedReason}] ${name}`, fn, timeout);
}

/**
 * Run `work` while sampling the process's ArrayBuffer memory (where Buffers live) every
 * 5 ms; returns its result and the peak growth over the starting level, in bytes.
 */
export async function sampleArrayBuffers<T>(
  work: () => Promise<T>,
): Promise<{ result: T; growth: number }> {
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 5);
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    return { result, growth: peak - baseline };
  } finally {
    clearInterval(timer);
  }
}
