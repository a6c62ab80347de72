/**
 * The server in a real browser: Debian's chromium driven by playwright-core. Every page
 * loads without a console error (the strict Content-Security-Policy included), thumbnails
 * decode, search works through the form; and OHIF Viewer 3's dist, served by the server,
 * opens a study of pydicom's files behind a token, with a drawn viewport and exactly OHIF's
 * request list.
 * A screenshot of each page goes to test-artifacts/serve/ (a CI artifact).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import sharp from 'sharp';
import type { Client } from '@som/core';
import { ROOT, removeDir } from '../../../test/fixtures/som';
import { testClient } from './__tests__/dataset';
import {
  embeddedDataset,
  PYDICOM_COLLECTION,
  SCRIPTS,
  type EmbeddedDataset,
} from './__tests__/embedded';
import { startServer, type RunningServer } from './server';

jest.setTimeout(180_000);

const TOKEN = 'browser-test-token-0123';
const ARTIFACTS = join(ROOT, 'test-artifacts', 'serve');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_FLAGS });
});
afterAll(() => browser?.close());

/** A page that records console errors and failed requests. */
async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return { page, errors };
}

describe('the pages in chromium', () => {
  let client: Client;
  let server: RunningServer;
  beforeAll(async () => {
    client = await testClient();
    server = await startServer(client, { port: 0, renderThreads: 1 });
  });
  afterAll(async () => {
    await server.close();
    await client.close();
  });

  it.each([
    ['home', '/'],
    ['collection', '/c/demo'],
    ['entity', '/c/demo/e/alice'],
    ['series', '/c/demo/e/alice?series=1.2.826.1.1.1'],
    ['image', '/c/demo/e/alice/i/ct2?wl=soft'],
  ])('%s loads without console errors, every image decoded', async (name, path) => {
    const { page, errors } = await openPage();
    const response = await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    // Lazy images load when near the viewport: the test pages are short enough for all.
    // (The callbacks run in the page: typed by hand, as the project builds without the DOM types.)
    await page.waitForFunction(() =>
      Array.from(
        (globalThis as unknown as { document: { images: ArrayLike<{ complete: boolean }> } })
          .document.images,
      ).every((image) => image.complete),
    );
    const sizes = await page.$$eval('img', (images) =>
      images.map((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    );
    expect(sizes.every((width) => width > 0)).toBe(true);
    if (name === 'entity') expect(sizes.length).toBe(3);
    if (name === 'image') expect(sizes).toEqual([768]); // the 32-pixel image, shown larger
    await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('searches with the form, into a shareable address', async () => {
    const { page, errors } = await openPage();
    await page.goto(`${server.url}/c/demo`);
    await page.fill('input[name=q]', 'Modality=MR');
    await page.selectOption('select[name=kind]', 'image');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    expect(page.url()).toBe(`${server.url}/c/demo?q=Modality%3DMR&kind=image`);
    const links = await page.$$eval('main table a', (as) => as.map((a) => a.textContent));
    expect(links).toEqual(['mr1', 'bob']);
    await page.screenshot({ path: join(ARTIFACTS, 'search.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('OHIF Viewer 3 through the server', () => {
  let dataset: EmbeddedDataset;
  let server: RunningServer;
  let viewer: string;
  beforeAll(async () => {
    viewer = execFileSync(join(SCRIPTS, 'install-ohif')).toString().trim();
    dataset = await embeddedDataset();
    server = await startServer(dataset.client, { port: 0, viewer, token: TOKEN, renderThreads: 1 });
  });
  afterAll(async () => {
    await server?.close();
    await dataset?.client.close();
    if (dataset) removeDir(dataset.cwd);
  });

  it('opens a CT study behind a token: the viewport is drawn, the requests are exactly OHIF 3.13s list', async () => {
    const root = `${server.url}/dicomweb/${PYDICOM_COLLECTION}`;
    const studies = (await (
      await fetch(`${root}/studies?ModalitiesInStudy=CT`, {
        headers: { Authorization: `Bearer ${TOKEN}` },
      })
    ).json()) as {
      '0020000D': { Value: string[] };
      '00100020': { Value: string[] };
    }[];
    expect(studies).toHaveLength(1);
    const study = studies[0]?.['0020000D'].Value[0] as string;
    const patient = studies[0]?.['00100020'].Value[0] as string;
    const { page } = await openPage();
    const log: { path: string; status: number }[] = [];
    page.on('response', (response) => {
      const url = response.url();
      if (url.startsWith(root))
        log.push({ path: url.slice(root.length), status: response.status() });
    });
    const frame = page.waitForResponse((r) => r.url().includes('/frames/1'));
    // Opened once with ?token=: the session cookie then carries every request OHIF makes.
    await page.goto(
      `${server.url}/ohif/viewer/${PYDICOM_COLLECTION}?StudyInstanceUIDs=${study}&token=${TOKEN}`,
    );
    expect((await frame).status()).toBe(200);
    const canvas = page.locator('canvas.cornerstone-canvas').first();
    await canvas.waitFor({ state: 'visible' });
    // Drawn: the canvas holds an image, not one flat colour.
    let stdev = 0;
    for (let tries = 0; tries < 40 && stdev < 5; tries++) {
      await page.waitForTimeout(250);
      stdev = (await sharp(await canvas.screenshot()).stats()).channels[0]?.stdev ?? 0;
    }
    expect(stdev).toBeGreaterThan(5);
    await page.screenshot({ path: join(ARTIFACTS, 'ohif.png') });
    const studyQuery =
      /^\/studies\?limit=101&offset=0&fuzzymatching=false&includefield=[0-9A-F%C]+/;
    const expected = [
      new RegExp(`${studyQuery.source}&StudyInstanceUID=${study}$`),
      new RegExp(`^/studies/${study}/series\\?includefield=[0-9A-F%C]+$`),
      new RegExp(
        `^/studies\\?00100020=${patient}&limit=101&offset=0&fuzzymatching=false&includefield=[0-9A-F%C]+$`,
      ),
      new RegExp(`^/studies/${study}/series/[0-9.]+/metadata$`),
      new RegExp(`^/studies/${study}/series/[0-9.]+/instances/[0-9.]+/frames/1$`),
    ];
    for (const entry of log) {
      expect(entry.status).toBe(200);
      expect(expected.some((re) => re.test(entry.path))).toBe(true);
    }
    for (const re of expected) expect(log.some((entry) => re.test(entry.path))).toBe(true);
    await page.close();
  });
});
