/**
 * Reading stored images for the server: their headers (a range read of the first bytes
 * when that holds the whole header, else the whole object), their bytes, and small caches
 * keyed by the object's MD5, so a changed object is never served from a cache.
 */
import { imageRefOf, SomError, type Client, type ImageRecord } from '@som/core';
import { parseDicom, type ParsedDicom } from '@som/dicom';

/** Bytes read first for a header: most headers end well before. */
export const HEADER_PROBE_BYTES = 128 * 1024;

/** A map that forgets its least recently used entries beyond a total size. */
export class SizedCache<V> {
  private readonly entries = new Map<string, { value: V; size: number }>();
  private total = 0;

  /**
   * @param maxSize the most the entries may add up to.
   * @param sizeOf the size of one value.
   */
  constructor(
    private readonly maxSize: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  /** The value at `key` (now the most recently used), or undefined. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Keep `value` at `key` (not when it alone is larger than the cache). */
  set(key: string, value: V): void {
    const size = this.sizeOf(value);
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.total -= old.size;
      this.entries.delete(key);
    }
    if (size > this.maxSize) return;
    this.entries.set(key, { value, size });
    this.total += size;
    for (const [oldest, entry] of this.entries) {
      if (this.total <= this.maxSize) break;
      this.entries.delete(oldest);
      this.total -= entry.size;
    }
  }
}

/** A readable name of an image for messages: its address, never a file value. */
export function imageName(image: ImageRecord): string {
  const ref = imageRefOf(image);
  return `${ref.collection}/${ref.entity}/${ref.image}`;
}

/** Reads images of one client. */
export class InstanceReader {
  private readonly headers = new SizedCache<ParsedDicom>(32 << 20, (p) => p.buffer.length);

  /** @param client where the images are. */
  constructor(readonly client: Client) {}

  /** The whole object of `image`. */
  async bytes(image: ImageRecord): Promise<Buffer> {
    const stream = await this.client.readImage(imageRefOf(image));
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /**
   * The parsed header of `image` (up to its Pixel Data). InvalidArgument naming the image
   * when it is not readable DICOM.
   */
  async header(image: ImageRecord): Promise<ParsedDicom> {
    const key = `${image.data.md5}`;
    const cached = this.headers.get(key);
    if (cached !== undefined) return cached;
    const name = imageName(image);
    let parsed: ParsedDicom | undefined;
    if (image.data.size > HEADER_PROBE_BYTES) {
      const stream = await this.client.readImage(imageRefOf(image), {
        start: 0,
        end: HEADER_PROBE_BYTES - 1,
      });
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      parsed = tryParse(Buffer.concat(chunks), name);
    }
    // A header longer than the probe (or a deflated data set) needs the whole object.
    parsed ??= parseDicom(await this.bytes(image), name, { stopAtPixelData: true });
    this.headers.set(key, parsed);
    return parsed;
  }

  /** The whole parsed object of `image`, Pixel Data included. */
  async full(image: ImageRecord): Promise<ParsedDicom> {
    return parseDicom(await this.bytes(image), imageName(image));
  }
}

/** The header parsed from the first bytes of an object, or undefined when they are not enough. */
function tryParse(probe: Buffer, name: string): ParsedDicom | undefined {
  try {
    const parsed = parseDicom(probe, name, { stopAtPixelData: true });
    return parsed.stoppedAtPixelData ? parsed : undefined;
  } catch (err) {
    if (err instanceof SomError && err.code === 'InvalidArgument') return undefined;
    throw err;
  }
}
