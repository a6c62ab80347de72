/**
 * DICOMweb, read-only, for one collection at `/dicomweb/<collection>`: QIDO-RS searches,
 * WADO-RS retrieval (instances as multipart application/dicom, DICOM JSON metadata, frames,
 * bulk data, rendered images and thumbnails) and WADO-URI (`?requestType=WADO`).
 */
import type { ServerResponse } from 'node:http';
import type { Filter, ImageRecord, ModelRecord } from '@som/core';
import { imageObjectKey, imageRefOf, validateUid } from '@som/core';
import { findInstance, findSeries, findStudy, imagesOfSeries, recordsOf } from '../catalog';
import type { Context } from '../context';
import { PIXEL_DATA, tagKey, toDicomJson, type DicomJson } from '../dicom-json';
import { HttpError, intParam, send, streamJsonArray, type Request } from '../http';
import { MAX_PREVIEW_SIZE } from '../previews';
import type { Window } from '../render-pool';
import { EXPLICIT_LITTLE, frameMediaType, frameNumbers, framesOf, isNative } from './frames';
import { choose, MultipartWriter, notAcceptable, parseAccept } from './media';
import {
  INSTANCE_ATTRIBUTES,
  levelJson,
  parseQido,
  searchLevel,
  SERIES_ATTRIBUTES,
  STUDY_ATTRIBUTES,
  type QidoQuery,
} from './qido';
import { SERIES_KIND, STUDY_KIND } from '../summaries';

/** The DICOM JSON media type. */
export const DICOM_JSON = 'application/dicom+json';

/** Lifetime of a signed URL a WADO-URI request is redirected to. */
export const SIGNED_URL_SECONDS = 300;

/** Instances whose metadata is read at once. */
const METADATA_CONCURRENCY = 8;

const FUZZY_WARNING =
  '299 som "The fuzzymatching parameter is not supported. Only literal matching has been performed."';

function bad(message: string): HttpError {
  return new HttpError(400, 'InvalidArgument', message);
}

/** The address of a collection's DICOMweb root as the client reached it. */
function rootUrl(req: Request, collection: string): string | undefined {
  const host = req.raw.headers.host;
  if (host === undefined || !/^[A-Za-z0-9.:[\]-]+$/.test(host)) return undefined;
  return `http://${host}/dicomweb/${encodeURIComponent(collection)}`;
}

async function qido(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  kind: string,
  collection: string,
  query: QidoQuery,
  fixed: Filter[],
  json: (record: ModelRecord) => DicomJson,
): Promise<void> {
  const type = choose(req.raw.headers.accept, [DICOM_JSON, 'application/json']);
  const headers: Record<string, string> = query.fuzzy ? { Warning: FUZZY_WARNING } : {};
  async function* results(): AsyncGenerator<DicomJson> {
    for await (const record of searchLevel(ctx, kind, collection, query, fixed)) yield json(record);
  }
  await streamJsonArray(req, res, results(), type, headers);
}

/** DICOM JSON metadata of one instance, with its transfer syntax and bulk data addresses. */
async function instanceMetadata(
  ctx: Context,
  image: ImageRecord,
  base: string | undefined,
): Promise<DicomJson> {
  const parsed = await ctx.reader.header(image);
  const { StudyInstanceUID: st, SeriesInstanceUID: se, SOPInstanceUID: sop } = image.data;
  const instance = `${base ?? ''}/studies/${String(st)}/series/${String(se)}/instances/${String(sop)}`;
  const json = toDicomJson(parsed.dataset, (tag) => `${instance}/bulk/${tagKey(tag)}`);
  json[tagKey(0x00083002)] = { vr: 'UI', Value: [parsed.transferSyntax.uid] };
  if (parsed.stoppedAtPixelData) {
    const bits = parsed.dataset.number('BitsAllocated') ?? 8;
    json[tagKey(PIXEL_DATA)] = {
      vr: bits > 8 ? 'OW' : 'OB',
      BulkDataURI: `${instance}/bulk/${tagKey(PIXEL_DATA)}`,
    };
  }
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** Metadata of many instances, a few read at once, in order. */
async function* metadataOf(
  ctx: Context,
  images: AsyncIterable<ModelRecord>,
  base: string | undefined,
): AsyncGenerator<DicomJson> {
  const window: Promise<DicomJson>[] = [];
  for await (const image of images) {
    window.push(instanceMetadata(ctx, image as ImageRecord, base));
    if (window.length >= METADATA_CONCURRENCY) yield await (window.shift() as Promise<DicomJson>);
  }
  while (window.length > 0) yield await (window.shift() as Promise<DicomJson>);
}

/** Send the metadata of `images` as a DICOM JSON array. */
function sendMetadata(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  images: AsyncIterable<ModelRecord>,
  base: string | undefined,
): Promise<void> {
  const type = choose(req.raw.headers.accept, [DICOM_JSON, 'application/json']);
  return streamJsonArray(req, res, metadataOf(ctx, images, base), type);
}

/** 406 unless the Accept header takes the stored objects as multipart application/dicom. */
function acceptsDicom(req: Request): void {
  for (const range of parseAccept(req.raw.headers.accept)) {
    const type = range.params.type ?? 'application/dicom';
    const ts = range.params['transfer-syntax'];
    if (
      range.type === '*/*' ||
      (range.type === 'multipart/related' && type === 'application/dicom')
    )
      if (ts === undefined || ts === '*') return;
  }
  throw notAcceptable(['multipart/related; type="application/dicom"; transfer-syntax=*']);
}

async function retrieveInstances(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  images: AsyncIterable<ModelRecord>,
): Promise<void> {
  acceptsDicom(req);
  const writer = new MultipartWriter(res, 'application/dicom', req.method === 'HEAD');
  const iterator = images[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) throw new HttpError(404, 'NotFound', 'no instance to retrieve');
  writer.start({ 'Cache-Control': 'no-store' });
  for (let next: IteratorResult<ModelRecord> = first; !next.done; next = await iterator.next()) {
    const image = next.value as ImageRecord;
    const parsed = await ctx.reader.header(image);
    await writer.part(
      `application/dicom; transfer-syntax=${parsed.transferSyntax.uid}`,
      await ctx.client.readImage(imageRefOf(image)),
    );
  }
  writer.end();
}

/** Which media type and transfer syntax frames are given in, by the Accept header. */
function frameAnswer(req: Request, stored: string): { type: string; syntax: string } {
  const native = isNative(stored);
  const storedType = frameMediaType(stored);
  const given = native ? EXPLICIT_LITTLE : stored;
  for (const range of parseAccept(req.raw.headers.accept)) {
    if (range.type === '*/*') return { type: storedType, syntax: given };
    if (range.type !== 'multipart/related') continue;
    const type = range.params.type ?? 'application/octet-stream';
    const ts = range.params['transfer-syntax'];
    if (ts === '*' || ts === given) {
      if (type === 'application/octet-stream' || type === storedType)
        return { type, syntax: given };
    } else if (ts === undefined) {
      if (type === 'application/octet-stream' && native) return { type, syntax: given };
      if (type === storedType && !native) return { type, syntax: given };
    }
  }
  throw notAcceptable([
    `multipart/related; type="${storedType}"; transfer-syntax=${given}`,
    'multipart/related; type="application/octet-stream"; transfer-syntax=*',
  ]);
}

async function retrieveFrames(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  image: ImageRecord,
  list: string | undefined,
): Promise<void> {
  const parsed = await ctx.reader.full(image);
  const frames = framesOf(parsed);
  const numbers =
    list === undefined
      ? Array.from({ length: frames.count }, (_, i) => i + 1)
      : frameNumbers(list, frames.count);
  const answer = frameAnswer(req, parsed.transferSyntax.uid);
  const writer = new MultipartWriter(res, answer.type, req.method === 'HEAD');
  const etag = `"${image.data.md5}"`;
  writer.start({ ETag: etag, 'Cache-Control': 'private, max-age=31536000, immutable' });
  for (const n of numbers)
    await writer.part(`${answer.type}; transfer-syntax=${answer.syntax}`, frames.frame(n));
  writer.end();
}

async function retrieveBulk(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  image: ImageRecord,
  tagText: string,
): Promise<void> {
  if (!/^[0-9A-Fa-f]{8}$/.test(tagText))
    throw bad('bulk data is addressed by a tag: bulk/7FE00010');
  const tag = parseInt(tagText, 16) >>> 0;
  if (tag === PIXEL_DATA) return retrieveFrames(ctx, req, res, image, undefined);
  const parsed = await ctx.reader.header(image);
  const element = parsed.dataset.get(tag);
  if (element === undefined || element.items !== undefined)
    throw new HttpError(404, 'NotFound', `no bulk data at ${tagText.toUpperCase()}`);
  choose(req.raw.headers.accept, ['multipart/related']);
  const writer = new MultipartWriter(res, 'application/octet-stream', req.method === 'HEAD');
  writer.start({ 'Cache-Control': 'no-store' });
  await writer.part('application/octet-stream', Buffer.from(parsed.dataset.valueBytes(element)));
  writer.end();
}

/** The window of a `window=center,width[,function]` parameter. */
function windowParam(query: URLSearchParams): Window | undefined {
  const text = query.get('window');
  if (text === null) return undefined;
  const [center, width, fn = 'linear'] = text.split(',');
  const c = Number(center);
  const w = Number(width);
  if (!Number.isFinite(c) || !Number.isFinite(w) || w <= 0 || center === '' || width === '')
    throw bad('window must be center,width[,linear] with a positive width');
  if (fn.toLowerCase() !== 'linear')
    throw new HttpError(
      400,
      'InvalidArgument',
      `window function ${JSON.stringify(fn)} is not supported: use linear`,
    );
  return { center: c, width: w };
}

/** The size of a `viewport=width,height` parameter (the larger side). */
function viewportParam(query: URLSearchParams, fallback: number | undefined): number | undefined {
  const text = query.get('viewport');
  if (text === null) return fallback;
  const parts = text.split(',');
  const [w, h] = parts.map(Number);
  if (
    parts.length !== 2 ||
    !Number.isInteger(w) ||
    !Number.isInteger(h) ||
    (w as number) < 1 ||
    (h as number) < 1
  )
    throw bad('viewport must be width,height in pixels (cropping is not supported)');
  return Math.min(MAX_PREVIEW_SIZE, Math.max(w as number, h as number));
}

async function rendered(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  image: ImageRecord,
  frame: number,
  thumbnail: boolean,
): Promise<void> {
  const type = choose(req.raw.headers.accept, ['image/jpeg', 'image/png']);
  const preview = await ctx.previews.preview({
    image,
    frame: frame - 1,
    ...(thumbnail
      ? { size: viewportParam(req.query, 128) }
      : { size: viewportParam(req.query, undefined), window: windowParam(req.query) }),
    format: type === 'image/png' ? 'png' : 'jpeg',
    quality: intParam(req.query, 'quality', 85, 1, 100),
  });
  send(req, res, 200, preview.contentType, preview.body, {
    ETag: preview.etag,
    'Cache-Control': 'private, max-age=31536000, immutable',
  });
}

function equals(field: string, value: string): Filter {
  return { field, op: '=', value };
}

/** The instance a series' or study's thumbnail shows: the middle image of a series. */
async function seriesThumbnailImage(ctx: Context, collection: string, series: ModelRecord) {
  const middle = series.data.MiddleImage;
  if (typeof middle !== 'string' || series.entity === undefined)
    throw new HttpError(404, 'NotFound', 'this series has no image for a thumbnail');
  return ctx.client.getImage({ collection, entity: series.entity, image: middle });
}

/** WADO-URI: `?requestType=WADO&studyUID=&seriesUID=&objectUID=[&contentType=][&frameNumber=]`. */
async function wadoUri(ctx: Context, req: Request, res: ServerResponse, collection: string) {
  const q = req.query;
  if (q.get('requestType') !== 'WADO') throw bad('requestType must be WADO');
  const uid = (name: string): string => {
    const value = q.get(name);
    if (value === null || !/^[0-9]+(\.[0-9]+)*$/.test(value) || value.length > 64)
      throw bad(`${name} must be a UID`);
    return value;
  };
  const image = await findInstance(
    ctx.client,
    collection,
    uid('studyUID'),
    uid('seriesUID'),
    uid('objectUID'),
  );
  const contentType = q.get('contentType') ?? 'image/jpeg';
  if (contentType === 'application/dicom') {
    const wanted = q.get('transferSyntax');
    const parsed = await ctx.reader.header(image);
    if (wanted !== null && wanted !== parsed.transferSyntax.uid)
      throw notAcceptable([`application/dicom; transfer-syntax=${parsed.transferSyntax.uid}`]);
    if (ctx.client.objects.capabilities.signedUrls) {
      const url = await ctx.client.objects.signedUrl(imageObjectKey(imageRefOf(image)), {
        method: 'GET',
        expiresInSeconds: SIGNED_URL_SECONDS,
      });
      res.writeHead(302, { Location: url, 'Cache-Control': 'no-store' });
      res.end();
      return;
    }
    return streamObject(ctx, req, res, image);
  }
  if (contentType !== 'image/jpeg' && contentType !== 'image/png')
    throw notAcceptable(['application/dicom', 'image/jpeg', 'image/png']);
  const frame = intParam(q, 'frameNumber', 1, 1, 1_000_000);
  const preview = await ctx.previews.preview({
    image,
    frame: frame - 1,
    size: MAX_PREVIEW_SIZE,
    format: contentType === 'image/png' ? 'png' : 'jpeg',
  });
  send(req, res, 200, preview.contentType, preview.body, { ETag: preview.etag });
}

/** Send a stored object as `application/dicom`, streamed. */
export async function streamObject(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  image: ImageRecord,
  headers: Record<string, string> = {},
): Promise<void> {
  const stream = await ctx.client.readImage(imageRefOf(image));
  res.writeHead(200, {
    'Content-Type': 'application/dicom',
    'Content-Length': String(image.data.size),
    ETag: `"${image.data.md5}"`,
    ...headers,
  });
  if (req.method === 'HEAD') {
    stream.destroy();
    res.end();
    return;
  }
  for await (const chunk of stream)
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  res.end();
}

function uidSegment(role: string, text: string | undefined): string {
  if (text === undefined || !/^[0-9]+(\.[0-9]+)*$/.test(text) || text.length > 64)
    throw bad(`${role} in the path must be a UID (digits and dots, at most 64)`);
  return text;
}

/** Answer one request under `/dicomweb/<collection>` (`rest`: the segments after it). */
export async function dicomweb(
  ctx: Context,
  req: Request,
  res: ServerResponse,
  collectionText: string,
  rest: readonly string[],
): Promise<void> {
  const collection = validateUid('collection', collectionText);
  await ctx.client.getCollection(collection);
  const base = rootUrl(req, collection);
  const [top, st, l2, se, l3, sop, l4, arg, ...extra] = rest;
  if (top === undefined || top === 'wado') {
    if (top === 'wado' && st !== undefined) throw notFound();
    return wadoUri(ctx, req, res, collection);
  }
  if (top !== 'studies' || extra.length > 1 || (extra.length === 1 && l4 !== 'frames'))
    throw notFound();
  if (st === undefined) {
    const query = parseQido(req.query, STUDY_ATTRIBUTES);
    return qido(ctx, req, res, STUDY_KIND, collection, query, [], (r) =>
      levelJson(STUDY_ATTRIBUTES, r.data, base && `${base}/studies/${r.uid}`),
    );
  }
  const study = uidSegment('the study', st);
  await findStudy(ctx.client, collection, study);
  const studyImages = () =>
    recordsOf(ctx.client, 'Image', collection, [equals('StudyInstanceUID', study)]);
  if (l2 === undefined) return retrieveInstances(ctx, req, res, studyImages());
  if (l2 === 'metadata' && se === undefined) {
    return sendMetadata(ctx, req, res, studyImages(), base);
  }
  if (l2 === 'thumbnail' && se === undefined) {
    const series = await firstSeries(ctx, collection, study);
    return rendered(ctx, req, res, await seriesThumbnailImage(ctx, collection, series), 1, true);
  }
  if (l2 !== 'series') throw notFound();
  if (se === undefined) {
    const query = parseQido(req.query, SERIES_ATTRIBUTES);
    return qido(
      ctx,
      req,
      res,
      SERIES_KIND,
      collection,
      query,
      [equals('StudyInstanceUID', study)],
      (r) =>
        levelJson(SERIES_ATTRIBUTES, r.data, base && `${base}/studies/${study}/series/${r.uid}`),
    );
  }
  const seriesUid = uidSegment('the series', se);
  const series = await findSeries(ctx.client, collection, study, seriesUid);
  if (l3 === undefined)
    return retrieveInstances(ctx, req, res, imagesOfSeries(ctx.client, collection, seriesUid));
  if (l3 === 'metadata' && sop === undefined) {
    return sendMetadata(ctx, req, res, imagesOfSeries(ctx.client, collection, seriesUid), base);
  }
  if (l3 === 'thumbnail' && sop === undefined)
    return rendered(ctx, req, res, await seriesThumbnailImage(ctx, collection, series), 1, true);
  if (l3 === 'rendered' && sop === undefined)
    return rendered(ctx, req, res, await seriesThumbnailImage(ctx, collection, series), 1, false);
  if (l3 !== 'instances') throw notFound();
  if (sop === undefined) {
    const query = parseQido(req.query, INSTANCE_ATTRIBUTES);
    return qido(
      ctx,
      req,
      res,
      'Image',
      collection,
      query,
      [equals('SeriesInstanceUID', seriesUid)],
      (r) =>
        levelJson(
          INSTANCE_ATTRIBUTES,
          r.data,
          base &&
            `${base}/studies/${study}/series/${seriesUid}/instances/${String(r.data.SOPInstanceUID)}`,
        ),
    );
  }
  const image = await findInstance(
    ctx.client,
    collection,
    study,
    seriesUid,
    uidSegment('the instance', sop),
  );
  if (l4 === undefined) return retrieveInstances(ctx, req, res, single(image));
  if (l4 === 'metadata' && arg === undefined) {
    return sendMetadata(ctx, req, res, single(image), base);
  }
  if (l4 === 'rendered' && arg === undefined) return rendered(ctx, req, res, image, 1, false);
  if (l4 === 'thumbnail' && arg === undefined) return rendered(ctx, req, res, image, 1, true);
  if (l4 === 'bulk' && arg !== undefined) return retrieveBulk(ctx, req, res, image, arg);
  if (l4 === 'frames' && arg !== undefined) {
    const [mode] = extra;
    if (mode === undefined) return retrieveFrames(ctx, req, res, image, arg);
    const numbers = frameNumbers(arg, Math.max(1, Number(image.data.NumberOfFrames ?? 1)));
    if (numbers.length !== 1) throw bad('a rendered or thumbnail frame is one frame');
    if (mode === 'rendered') return rendered(ctx, req, res, image, numbers[0] as number, false);
    if (mode === 'thumbnail') return rendered(ctx, req, res, image, numbers[0] as number, true);
  }
  throw notFound();
}

async function* single(image: ModelRecord): AsyncGenerator<ModelRecord> {
  yield image;
}

async function firstSeries(ctx: Context, collection: string, study: string): Promise<ModelRecord> {
  for await (const series of recordsOf(ctx.client, SERIES_KIND, collection, [
    equals('StudyInstanceUID', study),
  ]))
    return series;
  throw new HttpError(404, 'NotFound', `study ${study} has no series`);
}

function notFound(): HttpError {
  return new HttpError(
    404,
    'NotFound',
    'no such DICOMweb resource: see /studies, /studies/{study}/series, .../instances, .../metadata, .../frames/{n}, .../rendered, .../thumbnail',
  );
}
