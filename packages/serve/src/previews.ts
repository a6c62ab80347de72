/**
 * Image previews (thumbnails and renders, for the pages and for DICOMweb): decoded in the
 * rendering threads, cached by the object's MD5 and the rendering parameters, and withheld
 * (a placeholder instead of pixels) where the preview policy says pixels may show a person's
 * identity: BurnedInAnnotation YES, the modalities that often carry burned-in text or
 * photographs (US, SC, OT, XC), secondary captures, and images that do not say their
 * modality (fail closed), unless the policy is `all`; always with `none`.
 */
import type { ImageRecord } from '@som/core';
import type { ParsedDicom } from '@som/dicom';
import { HttpError } from './http';
import { SizedCache, type InstanceReader } from './instances';
import type { PreviewPolicy } from './options';
import type { RenderPool, Window } from './render-pool';

/** Modalities whose pixels are withheld under the `safe` policy. */
export const WITHHELD_MODALITIES: ReadonlySet<string> = new Set(['US', 'SC', 'OT', 'XC']);

/** The SOP Class UIDs of secondary captures start with this; withheld under `safe` too. */
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';

/** Named windows of the image page (CT values in Hounsfield units). */
export const WINDOW_PRESETS: Readonly<Record<string, Window>> = {
  lung: { center: -600, width: 1500 },
  soft: { center: 40, width: 400 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
};

/** Largest preview edge. */
export const MAX_PREVIEW_SIZE = 2048;

/** What to preview. */
export interface PreviewRequest {
  image: ImageRecord;
  /** Frame index from 0. */
  frame: number;
  /** Fit in a square of this many pixels (undefined: own size, at most {@link MAX_PREVIEW_SIZE}). */
  size?: number;
  window?: Window;
  format: 'png' | 'jpeg';
  quality?: number;
}

/** An encoded preview. */
export interface Preview {
  body: Buffer;
  contentType: string;
  /** The strong ETag: the object's MD5 (with a suffix for a placeholder). */
  etag: string;
  /** Why pixels are withheld, when they are. */
  withheld?: string;
}

/** Why the preview policy withholds the pixels of an image with this header, or undefined. */
export function withheldReason(policy: PreviewPolicy, header: ParsedDicom): string | undefined {
  if (policy === 'all') return undefined;
  if (policy === 'none') return 'previews are off on this server';
  const burned = header.dataset.string('BurnedInAnnotation');
  if (burned !== undefined && burned.trim().toUpperCase() === 'YES')
    return 'the image declares burned-in annotation';
  const modality = header.dataset.string('Modality')?.trim().toUpperCase() ?? '';
  if (WITHHELD_MODALITIES.has(modality))
    return `${modality} images often show text or faces in their pixels`;
  if (modality === '') return 'the image does not say its modality';
  if (header.dataset.string('SOPClassUID')?.startsWith(SECONDARY_CAPTURE) === true)
    return 'secondary captures often show text in their pixels';
  return undefined;
}

const PLACEHOLDER_SVG = (size: number): string =>
  `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 100 100">` +
  '<rect width="100" height="100" fill="#2b2f36"/>' +
  '<ellipse cx="50" cy="50" rx="30" ry="17" fill="none" stroke="#8a93a3" stroke-width="5"/>' +
  '<circle cx="50" cy="50" r="8" fill="#8a93a3"/>' +
  '<line x1="22" y1="78" x2="78" y2="22" stroke="#8a93a3" stroke-width="6"/></svg>';

/** Makes previews of one client's images. */
export class Previews {
  private readonly cache = new SizedCache<Buffer>(64 << 20, (b) => b.length);

  /**
   * @param reader reads headers and objects.
   * @param policy what may be shown.
   * @param pool the rendering threads.
   */
  constructor(
    private readonly reader: InstanceReader,
    readonly policy: PreviewPolicy,
    private readonly pool: RenderPool,
  ) {}

  /** The preview of one frame of an image (a placeholder when withheld). */
  async preview(request: PreviewRequest): Promise<Preview> {
    const { image, frame, size, window, format } = request;
    const quality = request.quality ?? 85;
    const md5 = image.data.md5;
    const contentType = format === 'png' ? 'image/png' : 'image/jpeg';
    const header = await this.reader.header(image);
    const withheld = withheldReason(this.policy, header);
    if (withheld !== undefined) {
      const body = await this.placeholder(size ?? 256, format);
      return { body, contentType, etag: `"${md5}-withheld"`, withheld };
    }
    const key = [md5, frame, size ?? '', window?.center ?? '', window?.width ?? '', format, quality]
      .map(String)
      .join('|');
    const cached = this.cache.get(key);
    if (cached !== undefined) return { body: cached, contentType, etag: `"${md5}"` };
    if (!header.dataset.get(0x00280010))
      throw new HttpError(422, 'InvalidArgument', 'this object has no image to preview');
    const rendered = await this.pool.render({
      bytes: await this.reader.bytes(image),
      frame,
      size: size ?? MAX_PREVIEW_SIZE,
      shrinkOnly: size === undefined,
      ...(window ? { window } : {}),
      format,
      quality,
    });
    this.cache.set(key, rendered.image);
    return { body: rendered.image, contentType, etag: `"${md5}"` };
  }

  private async placeholder(size: number, format: 'png' | 'jpeg'): Promise<Buffer> {
    const key = `placeholder|${size}|${format}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    // Loaded here, on the first placeholder: sharp's native library is most of what loading
    // this package costs, and every som command loads it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded when first needed
    const sharp = require('sharp') as typeof import('sharp');
    const image = sharp(Buffer.from(PLACEHOLDER_SVG(size)));
    const body = format === 'png' ? await image.png().toBuffer() : await image.jpeg().toBuffer();
    this.cache.set(key, body);
    return body;
  }
}
