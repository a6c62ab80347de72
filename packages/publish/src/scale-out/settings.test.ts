import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  contentDigest,
  parseRunSettings,
  runSettings,
  settingsDifferences,
  type RunSettings,
} from './settings';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'som-settings-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('contentDigest', () => {
  it('is the SHA-256 of the bytes, or null for none', () => {
    // The FIPS 180-2 test vector for "abc".
    expect(contentDigest(Buffer.from('abc'))).toBe(
      'sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(contentDigest(undefined)).toBeNull();
  });
});

describe('runSettings', () => {
  it('gives the defaults for a run without options', async () => {
    expect(await runSettings({ cwd: dir })).toEqual({
      profile: {},
      pixelFilter: 'default',
      pixelText: null,
      functions: null,
      variables: null,
      metadata: {},
      entityMetadata: {},
      itemLevel: 'study',
    });
  });

  it('records files by the digest of their bytes, relative to cwd, and fields in name order', async () => {
    writeFileSync(join(dir, 'vars.csv'), 'abc');
    const settings = await runSettings({
      cwd: dir,
      variables: 'vars.csv',
      profile: { retainUids: true, cleanDescriptors: false },
      metadata: { Site: 'north', Arm: 2 },
      pixelText: 'detect',
    });
    expect(settings.variables).toBe(contentDigest(Buffer.from('abc')));
    expect(Object.keys(settings.profile)).toEqual(['cleanDescriptors', 'retainUids']);
    expect(Object.keys(settings.metadata)).toEqual(['Arm', 'Site']);
    expect(settings.pixelText).toBe('detect');
  });

  it('names a file it cannot read', async () => {
    await expect(runSettings({ cwd: dir, functions: 'missing.js' })).rejects.toMatchObject({
      code: 'InvalidArgument',
      message: `the functions module ${join(dir, 'missing.js')}: ENOENT`,
    });
  });
});

describe('settingsDifferences', () => {
  const base: RunSettings = {
    profile: { retainUids: true },
    pixelFilter: 'default',
    pixelText: null,
    functions: null,
    variables: null,
    metadata: { Site: 'north', Arm: 2 },
    entityMetadata: {},
    itemLevel: 'study',
  };

  it('finds none between the same settings, whatever the order of their fields', () => {
    expect(settingsDifferences(base, { ...base, metadata: { Arm: 2, Site: 'north' } })).toEqual([]);
  });

  it('names each setting that differs by what it is and its flags, never by its value', () => {
    const other: RunSettings = {
      ...base,
      profile: {},
      pixelFilter: 'none',
      metadata: { Site: 'south', Arm: 2 },
      itemLevel: 'accession',
    };
    const differences = settingsDifferences(base, other);
    expect(differences).toEqual([
      'the profile options (--retain, --clean-descriptors)',
      'the pixel filter (--pixel-filter)',
      'the fields added to image records (--metadata)',
      'the item level of the aliases (--item-level)',
    ]);
    expect(differences.join(' ')).not.toMatch(/north|south/);
    expect(settingsDifferences(base, { ...base, metadata: { Site: 'north' } })).toHaveLength(1);
    expect(settingsDifferences(base, { ...base, metadata: { ...base.metadata, X: null } })).toEqual(
      ['the fields added to image records (--metadata)'],
    );
  });
});

describe('parseRunSettings', () => {
  it('reads back what a plan holds, and nothing else', () => {
    const settings: RunSettings = {
      profile: { retainDeviceIdentity: true },
      pixelFilter: 'none',
      pixelText: 'redact',
      functions: contentDigest(Buffer.from('f')),
      variables: null,
      metadata: { Flag: true, Nothing: null },
      entityMetadata: { Cohort: 'A' },
      itemLevel: 'image',
    };
    expect(parseRunSettings(JSON.parse(JSON.stringify(settings)))).toEqual(settings);
    expect(parseRunSettings(undefined)).toBeUndefined();
    expect(parseRunSettings({ ...settings, pixelText: 'all' })).toBeUndefined();
    expect(parseRunSettings({ ...settings, variables: 'sha256:xyz' })).toBeUndefined();
    expect(parseRunSettings({ ...settings, entityMetadata: 'Cohort=A' })).toBeUndefined();
  });
});
