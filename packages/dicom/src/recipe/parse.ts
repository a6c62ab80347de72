/**
 * The text format of pydicom/deid recipes: `FORMAT dicom`, a `%header` section, and lines
 * `ACTION FIELD [VALUE]`. Every problem is a SomError InvalidArgument naming the source and
 * the line number.
 */
import { SomError } from '@som/core';
import { BUILTIN_FUNCTIONS } from './builtins';
import { parseSelector } from './selectors';
import {
  RECIPE_ACTIONS,
  type Recipe,
  type RecipeAction,
  type RecipeRule,
  type RecipeValue,
} from './types';

/** The first word of a line: a field may hold a quoted private creator with spaces. */
const FIELD = /^(\S*"[^"]*"\S*|\S+)/;

/** Parse a deid recipe. `source` names it in messages (e.g. its file name). */
export function parseRecipe(text: string, source: string): Recipe {
  const rules: RecipeRule[] = [];
  let inHeader = false;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const origin = `${source} line ${index + 1}`;
    const fail = (problem: string): never => {
      throw new SomError('InvalidArgument', `${origin}: ${problem}: ${raw.trim()}`);
    };
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (/^FORMAT(\s|$)/i.test(line)) {
      const format = (line.slice(6).split('#')[0] ?? '').trim().toLowerCase();
      if (format !== 'dicom')
        fail(`unsupported FORMAT ${JSON.stringify(format)} (only "FORMAT dicom")`);
      return;
    }
    if (line.startsWith('%')) {
      const section = (line.slice(1).split(/[\s#]/)[0] ?? '').toLowerCase();
      if (section !== 'header') fail(`section %${section} is not supported (only %header)`);
      inHeader = true;
      return;
    }
    const word = line.split(/\s/, 1)[0] ?? '';
    const action = RECIPE_ACTIONS.find((a) => a === word.toUpperCase());
    if (!action) fail(`unknown action ${JSON.stringify(word)}`);
    if (!inHeader) fail(`${word} outside a %header section`);
    rules.push(
      parseActionLine(action as RecipeAction, line.slice(word.length).trim(), origin, fail),
    );
  });
  return { layers: [{ name: source, rules }] };
}

function parseActionLine(
  action: RecipeAction,
  rest: string,
  origin: string,
  fail: (problem: string) => never,
): RecipeRule {
  const fieldText = FIELD.exec(rest)?.[1];
  if (fieldText === undefined || fieldText.startsWith('#')) return fail(`${action} needs a field`);
  const field = parseSelector(fieldText);
  if (typeof field === 'string') return fail(field);
  const valueText = (rest.slice(fieldText.length).split('#')[0] ?? '').trim();

  switch (action) {
    case 'BLANK':
      if (valueText !== '') fail('BLANK takes no value');
      return { action, field, origin };
    case 'KEEP':
    case 'REMOVE': {
      if (valueText === '') return { action, field, origin };
      const value = parseValue(valueText, fail);
      if (value.kind !== 'func' && value.kind !== 'deid_func')
        fail(`${action} takes only a func: or deid_func: condition`);
      return { action, field, value, origin };
    }
    case 'ADD':
    case 'REPLACE':
    case 'JITTER': {
      if (valueText === '') fail(`${action} needs a value`);
      if (action === 'ADD' && field.kind !== 'tag')
        fail('ADD needs a keyword or a tag, not an expander');
      const value = parseValue(valueText, fail);
      if (action === 'JITTER' && value.kind === 'literal' && !/^[+-]?\d+$/.test(value.text)) {
        fail('JITTER needs a whole number of days, var:, func: or deid_func:');
      }
      return { action, field, value, origin };
    }
  }
}

function parseValue(text: string, fail: (problem: string) => never): RecipeValue {
  const m = /^(var|func|deid_func):(\S*)\s*(.*)$/i.exec(text);
  if (!m) return { kind: 'literal', text };
  const kind = (m[1] ?? '').toLowerCase();
  const name = m[2] ?? '';
  if (name === '') return fail(`${kind}: needs a name`);
  if (kind === 'var') return { kind: 'var', name };
  if (kind === 'func') return { kind: 'func', name };
  if (!(name in BUILTIN_FUNCTIONS)) {
    return fail(
      `unknown deid_func ${JSON.stringify(name)} (known: ${Object.keys(BUILTIN_FUNCTIONS).join(', ')})`,
    );
  }
  const args: Record<string, string> = {};
  for (const pair of (m[3] ?? '').split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { kind: 'deid_func', name, args };
}
