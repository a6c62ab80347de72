/**
 * The server-rendered pages: collections, a collection's entities (paged) with search, an
 * entity's studies and series with thumbnails, and an image with its preview and header.
 * Plain HTML and forms: everything works without JavaScript.
 */
import {
  entityKey,
  parseSearchTerm,
  SomError,
  toModelRecord,
  type Filter,
  type ImageRecord,
  type ModelRecord,
  type RecordData,
} from '@som/core';
import { fieldType } from '@som/dicom';
import type { Context } from './context';
import { headerTable } from './header-table';
import { html, page, path, withQuery, type Html } from './html';
import { HttpError } from './http';
import { MAX_PREVIEW_SIZE, WINDOW_PRESETS } from './previews';
import { SERIES_KIND, STUDY_KIND } from './summaries';

/** Rows per page of a listing. */
export const PAGE_SIZE = 50;

/** Where OHIF (when configured) is served. */
export const VIEWER_ROOT = '/ohif';

function text(value: RecordData[string] | undefined): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** An address of the viewer opening a study (optionally at a series). */
export function viewerLink(collection: string, study: string, series?: string): string {
  return withQuery(`${VIEWER_ROOT}/viewer/${encodeURIComponent(collection)}`, {
    StudyInstanceUIDs: study,
    initialSeriesInstanceUID: series,
  });
}

/** A thumbnail address: the MD5 in it makes it change when the image does. */
export function thumbLink(collection: string, entity: string, image: string, md5: string): string {
  return withQuery(path('thumb', collection, entity, image), { v: md5 });
}

/**
 * The terms of a search box: a new term starts where a space is followed by `FIELD=`,
 * `FIELD>` ..., so values may hold spaces (`SeriesDescription=T1 axial Modality=MR`).
 */
export function splitTerms(q: string): string[] {
  return q
    .trim()
    .split(/\s+(?=[A-Za-z_][A-Za-z0-9_]*(?:>=|<=|=|>|<))/)
    .filter((term) => term !== '');
}

/** The filters of a search box, typed as `som search` types them. */
export function searchFilters(q: string): Filter[] {
  return splitTerms(q).map((term) => parseSearchTerm(term, fieldType));
}

function rangeText(first: RecordData[string] | undefined, last: RecordData[string] | undefined) {
  const a = text(first);
  const b = text(last);
  return a === b ? a : `${a} – ${b}`;
}

/** `/`: every collection with its entity and image counts, modalities and date range. */
export async function homePage(ctx: Context): Promise<string> {
  const rows: Html[] = [];
  for await (const collection of ctx.client.listCollections()) {
    let entities = 0;
    let images = 0;
    const modalities = new Set<string>();
    let first: string | undefined;
    let last: string | undefined;
    for await (const entity of ctx.client.listEntities(collection.uid)) {
      entities++;
      const { NumberOfImages, Modalities, FirstStudyDate, LastStudyDate } = entity.data;
      if (typeof NumberOfImages === 'number') images += NumberOfImages;
      if (typeof Modalities === 'string')
        Modalities.split(',')
          .filter((m) => m !== '')
          .forEach((m) => modalities.add(m));
      if (typeof FirstStudyDate === 'string' && (first === undefined || FirstStudyDate < first))
        first = FirstStudyDate;
      if (typeof LastStudyDate === 'string' && (last === undefined || LastStudyDate > last))
        last = LastStudyDate;
    }
    rows.push(
      html`<tr>
        <td><a href="${path('c', collection.uid)}">${collection.uid}</a></td>
        <td class="num">${entities}</td>
        <td class="num">${images}</td>
        <td>${[...modalities].sort().join(', ')}</td>
        <td>${first === undefined ? '' : rangeText(first, last)}</td>
      </tr>`,
    );
  }
  const content =
    rows.length === 0
      ? html`<p>No collection has been published here yet.</p>`
      : html`<table>
          <thead>
            <tr>
              <th>Collection</th>
              <th>Entities</th>
              <th>Images</th>
              <th>Modalities</th>
              <th>Study dates</th>
            </tr>
          </thead>
          <tbody>
            ${rows}
          </tbody>
        </table>`;
  return page('Collections', [], content);
}

function entityRow(collection: string, record: ModelRecord): Html {
  const d = record.data;
  return html`<tr>
    <td><a href="${path('c', collection, 'e', record.uid)}">${record.uid}</a></td>
    <td>${text(d.Modalities).split(',').join(', ')}</td>
    <td class="num">${text(d.NumberOfStudies)}</td>
    <td class="num">${text(d.NumberOfImages)}</td>
    <td>${d.FirstStudyDate === undefined ? '' : rangeText(d.FirstStudyDate, d.LastStudyDate)}</td>
  </tr>`;
}

function imageRow(collection: string, record: ModelRecord): Html {
  const d = record.data;
  const entity = record.entity ?? '';
  return html`<tr>
    <td><a href="${path('c', collection, 'e', entity, 'i', record.uid)}">${record.uid}</a></td>
    <td><a href="${path('c', collection, 'e', entity)}">${entity}</a></td>
    <td>${text(d.Modality)}</td>
    <td>${text(d.StudyDate)}</td>
    <td>${text(d.SeriesDescription)}</td>
  </tr>`;
}

/** `/c/<collection>`: its entities, a page at a time, or the records a search finds. */
export async function collectionPage(
  ctx: Context,
  collection: string,
  query: URLSearchParams,
): Promise<string> {
  await ctx.client.getCollection(collection);
  const q = query.get('q') ?? '';
  const kindParam = query.get('kind') ?? 'entity';
  if (kindParam !== 'entity' && kindParam !== 'image')
    throw new HttpError(400, 'InvalidArgument', 'kind must be entity or image');
  const kind = kindParam === 'image' ? 'Image' : 'Entity';
  const pageToken = query.get('page') ?? undefined;
  let filters: Filter[] = [];
  let problem: string | undefined;
  try {
    filters = searchFilters(q);
  } catch (err) {
    if (!(err instanceof SomError)) throw err;
    problem = err.message;
  }
  let records: ModelRecord[] = [];
  let next: string | undefined;
  if (problem === undefined) {
    try {
      const result = await ctx.client.search({
        kind,
        collection,
        filters,
        limit: PAGE_SIZE,
        ...(pageToken ? { pageToken } : {}),
      });
      records = result.records;
      next = result.nextPageToken;
    } catch (err) {
      if (!(err instanceof SomError) || err.code !== 'InvalidArgument') throw err;
      problem = err.message;
    }
  }
  const here = path('c', collection);
  const form = html`<form class="search" method="get" action="${here}">
    <label
      >Search
      <input
        type="text"
        name="q"
        value="${q}"
        placeholder="Modality=CT StudyDate>20100101"
        aria-label="search terms"
    /></label>
    <select name="kind" aria-label="kind">
      <option value="entity" ${kind === 'Entity' ? html`selected` : ''}>entities</option>
      <option value="image" ${kind === 'Image' ? html`selected` : ''}>images</option>
    </select>
    <button type="submit">Search</button>
    <p class="muted">
      Terms as in <code>som search</code>: FIELD=VALUE, FIELD&gt;VALUE, FIELD&lt;VALUE,
      FIELD&gt;=VALUE, FIELD&lt;=VALUE; all must hold; "quotes" make a value text.
    </p>
  </form>`;
  const table =
    kind === 'Entity'
      ? html`<table>
          <thead>
            <tr>
              <th>Entity</th>
              <th>Modalities</th>
              <th>Studies</th>
              <th>Images</th>
              <th>Study dates</th>
            </tr>
          </thead>
          <tbody>
            ${records.map((r) => entityRow(collection, r))}
          </tbody>
        </table>`
      : html`<table>
          <thead>
            <tr>
              <th>Image</th>
              <th>Entity</th>
              <th>Modality</th>
              <th>Study date</th>
              <th>Series</th>
            </tr>
          </thead>
          <tbody>
            ${records.map((r) => imageRow(collection, r))}
          </tbody>
        </table>`;
  const more = next
    ? html`<p>
        <a rel="next" href="${withQuery(here, { q: q || undefined, kind: kindParam, page: next })}"
          >next page</a
        >
      </p>`
    : '';
  const body =
    problem !== undefined
      ? html`<p class="error" role="alert">${problem}</p>`
      : records.length === 0
        ? html`<p>Nothing ${q ? 'matches' : 'here yet'}.</p>`
        : html`${table}${more}`;
  return page(collection, [[collection, here]], html`${form}${body}`);
}

/** Records of `kind` under an entity. */
async function underEntity(
  ctx: Context,
  collection: string,
  entity: string,
  kind: string,
  filters: Filter[] = [],
): Promise<ModelRecord[]> {
  const out: ModelRecord[] = [];
  const query = { kind, ancestor: entityKey({ collection, entity }), filters, limit: 500 };
  for await (const record of ctx.client.records.queryAll(query)) out.push(toModelRecord(record));
  return out;
}

function byNumber(field: string) {
  return (a: ModelRecord, b: ModelRecord): number => {
    const x = a.data[field];
    const y = b.data[field];
    const nx = typeof x === 'number' ? x : Infinity;
    const ny = typeof y === 'number' ? y : Infinity;
    return nx - ny || (a.uid < b.uid ? -1 : 1);
  };
}

function imagesTable(collection: string, entity: string, images: ModelRecord[]): Html {
  return html`<table>
    <thead>
      <tr>
        <th>Image</th>
        <th>Instance</th>
        <th>Modality</th>
        <th>Size</th>
      </tr>
    </thead>
    <tbody>
      ${images.map(
        (image) =>
          html`<tr>
            <td>
              <a href="${path('c', collection, 'e', entity, 'i', image.uid)}">${image.uid}</a>
            </td>
            <td class="num">${text(image.data.InstanceNumber)}</td>
            <td>${text(image.data.Modality)}</td>
            <td class="num">${text(image.data.size)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** `/c/<c>/e/<e>`: the entity's studies and series, each series with a thumbnail. */
export async function entityPage(
  ctx: Context,
  collection: string,
  entity: string,
  query: URLSearchParams,
): Promise<string> {
  const record = await ctx.client.getEntity({ collection, entity });
  const here = path('c', collection, 'e', entity);
  const crumbs: [string, string][] = [
    [collection, path('c', collection)],
    [entity, here],
  ];
  const studies = await underEntity(ctx, collection, entity, STUDY_KIND);
  const series = await underEntity(ctx, collection, entity, SERIES_KIND);
  const facts = html`<p>
    ${text(record.data.NumberOfStudies)} studies, ${text(record.data.NumberOfSeries)} series,
    ${text(record.data.NumberOfImages)} images; modalities
    ${text(record.data.Modalities).split(',').join(', ')}.
  </p>`;
  if (studies.length === 0) {
    const images = await ctx.client.search({
      kind: 'Image',
      collection,
      entity,
      limit: PAGE_SIZE,
      ...(query.get('page') ? { pageToken: query.get('page') as string } : {}),
    });
    const next = images.nextPageToken
      ? html`<p>
          <a rel="next" href="${withQuery(here, { page: images.nextPageToken })}">next page</a>
        </p>`
      : '';
    return page(
      entity,
      crumbs,
      html`${facts}
        <p class="muted">
          No study summaries for this entity yet (<code>som verify --repair</code> writes them): its
          images by name.
        </p>
        ${imagesTable(collection, entity, images.records)}${next}`,
    );
  }
  const viewer = ctx.options.viewer !== undefined;
  const chosen = query.get('series');
  const sections = studies.map((study) => {
    const own = series
      .filter((s) => s.data.StudyInstanceUID === study.uid)
      .sort(byNumber('SeriesNumber'));
    return html`<section>
      <h2>
        Study ${text(study.data.StudyDate)} ${text(study.data.StudyDescription)}
        <span class="muted">${text(study.data.ModalitiesInStudy)}</span>
      </h2>
      <p class="muted">
        ${study.uid}${
          viewer ? html` · <a href="${viewerLink(collection, study.uid)}">open in viewer</a>` : ''
        }
      </p>
      <div class="series">
        ${own.map((s) => {
          const middle = text(s.data.MiddleImage);
          const link = `${withQuery(here, { series: s.uid })}#images`;
          return html`<figure>
            <a href="${link}"
              ><img
                src="${thumbLink(collection, entity, middle, text(s.data.MiddleImageMd5))}"
                width="160"
                height="160"
                alt="series ${text(s.data.SeriesNumber)} thumbnail"
                loading="lazy"
            /></a>
            <figcaption>
              <strong>${text(s.data.SeriesNumber)} ${text(s.data.SeriesDescription)}</strong><br />
              ${text(s.data.Modality)} · ${text(s.data.NumberOfSeriesRelatedInstances)} images<br />
              <a href="${path('c', collection, 'e', entity, 'i', middle)}">middle image</a>
              ${
                viewer
                  ? html` ·
                      <a href="${viewerLink(collection, study.uid, s.uid)}">open in viewer</a>`
                  : ''
              }
            </figcaption>
          </figure>`;
        })}
      </div>
    </section>`;
  });
  let listing: Html | string = '';
  if (chosen !== null) {
    const images = (
      await underEntity(ctx, collection, entity, 'Image', [
        { field: 'SeriesInstanceUID', op: '=', value: chosen },
      ])
    ).sort(byNumber('InstanceNumber'));
    listing = html`<section id="images">
      <h2>Images of series ${chosen}</h2>
      ${imagesTable(collection, entity, images)}
    </section>`;
  }
  return page(entity, crumbs, html`${facts}${sections}${listing}`);
}

/** `/c/<c>/e/<e>/i/<image>`: the preview with window presets, the header, and how to get it. */
export async function imagePage(
  ctx: Context,
  collection: string,
  entity: string,
  uid: string,
  query: URLSearchParams,
): Promise<string> {
  const image: ImageRecord = await ctx.client.getImage({ collection, entity, image: uid });
  const here = path('c', collection, 'e', entity, 'i', uid);
  const header = await ctx.reader.header(image);
  const frames = Math.max(1, header.dataset.number('NumberOfFrames') ?? 1);
  const frame = Math.min(frames, Math.max(1, Number(query.get('frame') ?? '1') || 1));
  const wl = query.get('wl') ?? 'default';
  if (wl !== 'default' && WINDOW_PRESETS[wl] === undefined)
    throw new HttpError(400, 'InvalidArgument', `unknown window preset ${JSON.stringify(wl)}`);
  const src = withQuery(path('render', collection, entity, uid), {
    v: image.data.md5,
    size: Math.min(MAX_PREVIEW_SIZE, 768),
    wl: wl === 'default' ? undefined : wl,
    frame: frame === 1 ? undefined : frame,
  });
  const presets = ['default', ...Object.keys(WINDOW_PRESETS)].map((name) =>
    name === wl
      ? html`<strong>${name}</strong> `
      : html`<a
          href="${withQuery(here, { wl: name === 'default' ? undefined : name, frame: frame === 1 ? undefined : frame })}"
          >${name}</a
        > `,
  );
  const frameLinks =
    frames > 1
      ? html`<p>
          Frame ${frame} of ${frames}:
          ${frame > 1 ? html`<a href="${withQuery(here, { wl: wl === 'default' ? undefined : wl, frame: frame - 1 })}">previous</a>` : ''}
          ${frame < frames ? html`<a href="${withQuery(here, { wl: wl === 'default' ? undefined : wl, frame: frame + 1 })}">next</a>` : ''}
        </p>`
      : '';
  const content = html`<div class="preview">
      <img src="${src}" alt="preview of ${uid}" />
    </div>
    <p class="presets">Window: ${presets}</p>
    ${frameLinks}
    <table>
      <tbody>
        <tr>
          <th>Size</th>
          <td>${image.data.size} bytes</td>
        </tr>
        <tr>
          <th>MD5</th>
          <td><code>${image.data.md5}</code></td>
        </tr>
        <tr>
          <th>Download</th>
          <td><a href="${path('download', collection, entity, uid)}" download>${uid}</a></td>
        </tr>
        <tr>
          <th>With som</th>
          <td><code>som get ${collection} ${entity} ${uid} --out .</code></td>
        </tr>
      </tbody>
    </table>
    <h2>Header (de-identified)</h2>
    <details>
      <summary>File meta group</summary>
      ${headerTable(header.meta)}
    </details>
    ${headerTable(header.dataset)}`;
  return page(
    uid,
    [
      [collection, path('c', collection)],
      [entity, path('c', collection, 'e', entity)],
      [uid, here],
    ],
    content,
  );
}
