/**
 * The text format of pydicom/deid recipes: `FORMAT dicom`, a `%header` section of lines
 * `ACTION FIELD [VALUE]`, `%filter <name>` sections (burned-in pixel screening),
 * `%values <name>` and `%fields <name>` groups. Every problem is a SomError InvalidArgument
 * naming the source and the line number; lines that do nothing are warnings.
 */
import { SomError } from '@som/core';
import { parseLabelLine, sectionKind } from '../pixels/filter-parse';
import type { FilterClause, FilterLabel, FilterSection, PixelRegion } from '../pixels/filter-types';
import { BUILTIN_FUNCTIONS } from './builtins';
import { parseSelector } from './selectors';
import {
  type FieldSelector,
  type ListAction,
  RECIPE_ACTIONS,
  type Recipe,
  type RecipeAction,
  type RecipeRule,
  type RecipeValue,
} from './types';

/** The first word of a line: a field may hold a quoted private creator with spaces. */
const FIELD = /^(\S*"[^"]*"\S*|\S+)/;

type Section =
  | { readonly kind: 'none' }
  | { readonly kind: 'header' }
  | { readonly kind: 'labels' }
  | { readonly kind: 'filter'; readonly section: FilterSection & { labels: FilterLabel[] } }
  | { readonly kind: 'values' | 'fields'; readonly actions: ListAction[] };

interface OpenLabel {
  readonly name: string;
  readonly origin: string;
  readonly clauses: FilterClause[];
  readonly regions: PixelRegion[];
}

/** Parse a deid recipe. `source` names it in messages (e.g. its file name). */
export function parseRecipe(text: string, source: string): Recipe {
  const rules: RecipeRule[] = [];
  const warnings: string[] = [];
  const sections: (FilterSection & { labels: FilterLabel[] })[] = [];
  const values: Record<string, ListAction[]> = {};
  const fields: Record<string, ListAction[]> = {};
  const listUses: { name: string; list: 'values' | 'fields'; origin: string }[] = [];
  let section: Section = { kind: 'none' };
  let label: OpenLabel | undefined;
  const closeLabel = (): void => {
    if (label && section.kind === 'filter') {
      section.section.labels.push({
        name: label.name,
        origin: label.origin,
        clauses: label.clauses,
        regions: label.regions,
      });
    }
    label = undefined;
  };

  text.split(/\r?\n/).forEach((raw, index) => {
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
      closeLabel();
      const [word = '', ...nameWords] = (line.slice(1).split('#')[0] ?? '').trim().split(/\s+/);
      const kind = word.toLowerCase();
      const name = nameWords.join(' ');
      if (kind === 'header') section = { kind: 'header' };
      else if (kind === 'labels') {
        warnings.push(`${origin}: the %labels section is ignored (deid does not use it either)`);
        section = { kind: 'labels' };
      } else if (kind === 'filter' || kind === 'values' || kind === 'fields') {
        if (name === '') fail(`%${kind} needs a name`);
        if (kind === 'filter') {
          let existing = sections.find((s) => s.name === name);
          if (!existing) {
            existing = { name, kind: sectionKind(name), labels: [] };
            sections.push(existing);
          }
          section = { kind: 'filter', section: existing };
        } else {
          const groups = kind === 'values' ? values : fields;
          groups[name] ??= [];
          section = { kind, actions: groups[name] };
        }
      } else fail(`unknown section %${kind} (known: %header, %filter, %values, %fields, %labels)`);
      return;
    }
    switch (section.kind) {
      case 'none':
        return fail('a line outside any section (start one with %header)');
      case 'labels':
        return;
      case 'filter': {
        if (/^LABEL(\s|$)/i.test(line)) {
          closeLabel();
          const name = (line.slice(5).split('#')[0] ?? '').trim();
          label = { name, origin, clauses: [], regions: [] };
          return;
        }
        if (!label) return fail('criteria before the first LABEL of a %filter section');
        const parsed = parseLabelLine(line, fail, (problem) =>
          warnings.push(`${origin}: ${problem}`),
        );
        if (parsed.kind === 'clause') label.clauses.push(parsed.clause);
        else if (parsed.kind === 'region') label.regions.push(parsed.region);
        return;
      }
      case 'values':
      case 'fields':
        section.actions.push(parseListLine(section.kind, line, origin, fail));
        return;
      case 'header': {
        const word = line.split(/\s/, 1)[0] ?? '';
        const action = RECIPE_ACTIONS.find((a) => a === word.toUpperCase());
        if (!action) return fail(`unknown action ${JSON.stringify(word)}`);
        const rule = parseActionLine(action, line.slice(word.length).trim(), origin, fail);
        if (rule.field.kind === 'nothing') {
          warnings.push(
            `${origin}: ${action} ${rule.field.text}: no attribute has this name; the line does nothing`,
          );
        }
        if (rule.field.kind === 'list')
          listUses.push({ name: rule.field.name, list: rule.field.list, origin });
        rules.push(rule);
        return;
      }
    }
  });
  closeLabel();
  for (const use of listUses) {
    const groups = use.list === 'values' ? values : fields;
    if (!Object.hasOwn(groups, use.name)) {
      throw new SomError(
        'InvalidArgument',
        `${use.origin}: ${use.list}:${use.name} names no %${use.list} ${use.name} section`,
      );
    }
  }
  return {
    layers: [{ name: source, rules, order: 'file-order', lists: { values, fields } }],
    ...(sections.length > 0 ? { pixelFilter: { sections } } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

function parseListLine(
  kind: 'values' | 'fields',
  line: string,
  origin: string,
  fail: (problem: string) => never,
): ListAction {
  const word = (line.split(/\s/, 1)[0] ?? '').toUpperCase();
  if (word !== 'FIELD' && word !== 'SPLIT') return fail(`unknown %${kind} action`);
  if (kind === 'fields' && word === 'SPLIT') fail('%fields takes only FIELD lines');
  const rest = line.slice(word.length).trim();
  const fieldText = FIELD.exec(rest)?.[1];
  if (fieldText === undefined || fieldText.startsWith('#')) return fail(`${word} needs a field`);
  const field = selectorOf(fieldText, fail);
  if (field.kind === 'list') fail('a list cannot name another list');
  const options = (rest.slice(fieldText.length).split('#')[0] ?? '').trim();
  if (word === 'FIELD') {
    if (options !== '') fail('FIELD takes only a field');
    return { action: 'FIELD', field, origin };
  }
  let by: string | undefined;
  let minLength: number | undefined;
  for (const pair of options.split(';').filter((p) => p.trim() !== '')) {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (eq < 0) fail(`SPLIT option ${JSON.stringify(pair)} is not name=value`);
    if (name === 'by') by = value.replace(/^["']|["']$/g, '');
    else if (name === 'minlength' && /^\d+$/.test(value)) minLength = Number(value);
    else fail(`unknown SPLIT option ${JSON.stringify(pair)} (by=, minlength=)`);
  }
  return {
    action: 'SPLIT',
    field,
    origin,
    ...(by !== undefined ? { by } : {}),
    ...(minLength !== undefined ? { minLength } : {}),
  };
}

function selectorOf(text: string, fail: (problem: string) => never): FieldSelector {
  const field = parseSelector(text);
  return typeof field === 'string' ? fail(field) : field;
}

function parseActionLine(
  action: RecipeAction,
  rest: string,
  origin: string,
  fail: (problem: string) => never,
): RecipeRule {
  const fieldText = FIELD.exec(rest)?.[1];
  if (fieldText === undefined || fieldText.startsWith('#')) return fail(`${action} needs a field`);
  const field = selectorOf(fieldText, fail);
  if (field.kind === 'nothing' && (action === 'ADD' || action === 'REPLACE'))
    fail(`unknown attribute keyword ${JSON.stringify(field.text)}`);
  const valueText = (rest.slice(fieldText.length).split('#')[0] ?? '').trim();
  const where = { field, fieldText, origin };

  switch (action) {
    case 'BLANK':
      if (valueText !== '') fail('BLANK takes no value');
      return { action, ...where };
    case 'KEEP':
    case 'REMOVE': {
      if (valueText === '') return { action, ...where };
      const value = parseValue(valueText, fail);
      if (value.kind !== 'func' && value.kind !== 'deid_func')
        fail(`${action} takes only a func: or deid_func: condition`);
      return { action, ...where, value };
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
      return { action, ...where, value };
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
