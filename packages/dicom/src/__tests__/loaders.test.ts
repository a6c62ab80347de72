/**
 * The loaders a command line calls: a functions module, a variables file (JSON or CSV).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSomError } from '@som/core';
import { loadRecipeFunctions, loadRecipeVariables } from '..';

const dir = mkdtempSync(join(tmpdir(), 'som-loaders-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('loadRecipeVariables', () => {
  it('reads CSV rows per entity and per file, with quoted fields', async () => {
    const table = await loadRecipeVariables(
      file('v.csv', 'entity,file,id,note\nP1,,alias-1,"a, b"\n,dir/a.dcm,,"say ""hi"""\n'),
    );
    expect(table.entities.get('P1')).toEqual({ id: 'alias-1', note: 'a, b' });
    expect(table.files.get('dir/a.dcm')).toEqual({ note: 'say "hi"' });
    expect([...table.names].sort()).toEqual(['id', 'note']);
  });

  it('reads JSON, numbers staying numbers', async () => {
    const table = await loadRecipeVariables(
      file('v.json', '{"entities": {"P1": {"days": 5}}, "files": {"x.dcm": {"id": "y"}}}'),
    );
    expect(table.entities.get('P1')).toEqual({ days: 5 });
    expect(table.files.get('x.dcm')).toEqual({ id: 'y' });
  });

  it.each([
    ['a.csv', 'id,x\n1,2\n', /a\.csv line 1: the header needs an "entity" or a "file" column/],
    ['b.csv', 'entity,x\nP1\n', /b\.csv line 2: 1 columns, the header has 2/],
    ['c.csv', 'entity,file,x\nP1,f,1\n', /c\.csv line 2: fill exactly one of "entity" and "file"/],
    [
      'd.json',
      '{"entities": {}, "PID-77": {}}',
      /d\.json: key 2 is none of "entities" and "files"/,
    ],
    [
      'e.json',
      '{"entities": {"P1": {}, "PID-77": {"x": [1]}}}',
      /e\.json: entities row 2: x must be text or a number/,
    ],
    ['f.json', '{"entities": {"PID-77": }}', /f\.json is not valid JSON: .* at line 1, column 25/],
  ])('names the problem of %s, never a PatientID', async (name, text, pattern) => {
    const err = await loadRecipeVariables(file(name, text)).catch((e: unknown) => e);
    expect(isSomError(err, 'InvalidArgument')).toBe(true);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain('PID-77');
  });
});

describe('loadRecipeFunctions', () => {
  it('collects the exported functions', () => {
    const functions = loadRecipeFunctions(
      file('f.cjs', 'module.exports = { a: () => "x", b: 3, c({ value }) { return value; } };'),
    );
    expect(Object.keys(functions).sort()).toEqual(['a', 'c']);
  });

  it('names a module that does not load or exports no function', () => {
    expect(() => loadRecipeFunctions(join(dir, 'missing.cjs'))).toThrow(
      /missing\.cjs: cannot load the functions module/,
    );
    expect(() => loadRecipeFunctions(file('g.cjs', 'module.exports = { a: 1 };'))).toThrow(
      /g\.cjs: the module exports no function/,
    );
  });
});
