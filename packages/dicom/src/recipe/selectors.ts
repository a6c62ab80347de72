/**
 * Field selectors: parsing their text form and matching them against elements.
 */
import { tagOfKeyword } from '../dictionary';
import { formatTag, type Tag } from '../tags';
import { nameOfKeyword, nameOfPrivate } from '../names';
import { isKnownVr } from '../vr';
import type { ElementClass, FieldSelector, PathStep } from './types';

/** What a selector is matched against. */
export interface SelectorTarget {
  /** The tag. */
  readonly tag: Tag;
  /** The effective VR. */
  readonly vr: string;
  /** The keyword of a standard attribute. */
  readonly keyword: string | undefined;
  /** The private creator of a private data element. */
  readonly creator: string | undefined;
  /** A retired standard attribute. */
  readonly retired: boolean;
  /** A standard attribute (in the dictionary). */
  readonly known: boolean;
}

const CLASSES: readonly ElementClass[] = ['private', 'privatecreator', 'retired', 'unknown'];

/**
 * Parse the text form of a selector. Returns a readable problem (string) for text that is
 * not a selector, so the caller can report it with its line number.
 */
export function parseSelector(text: string): FieldSelector | string {
  const lower = text.toLowerCase();
  if (lower === 'all' || lower === 'allfields') return { kind: 'all' };

  const priv = /^\(?([0-9a-f]{4}),\s*"([^"]*)"\s*,\s*([0-9a-f]{2})\)?$/i.exec(text);
  if (priv) {
    const group = parseInt(priv[1] ?? '', 16);
    if (group % 2 === 0) return `${text} names a private creator in the even group ${priv[1]}`;
    return {
      kind: 'private',
      group,
      creator: (priv[2] ?? '').trim(),
      offset: parseInt(priv[3] ?? '', 16),
    };
  }

  const tag = /^\(?([0-9a-fx]{4}),?\s*([0-9a-fx]{4})\)?$/i.exec(text);
  if (tag) {
    const digits = `${tag[1]}${tag[2]}`.toUpperCase();
    if (!digits.includes('X')) return { kind: 'tag', tag: parseInt(digits, 16) >>> 0 };
    return {
      kind: 'mask',
      value: parseInt(digits.replace(/X/g, '0'), 16) >>> 0,
      mask: parseInt(digits.replace(/[0-9A-F]/g, 'F').replace(/X/g, '0'), 16) >>> 0,
    };
  }

  const colon = text.indexOf(':');
  if (colon > 0) {
    const expander = lower.slice(0, colon);
    const argument = text.slice(colon + 1);
    switch (expander) {
      case 'startswith':
      case 'endswith':
      case 'contains':
      case 'except':
      case 'allexcept': {
        if (argument === '') return `${expander}: needs an expression`;
        try {
          new RegExp(argument, 'i');
        } catch {
          return `${JSON.stringify(argument)} is not a valid regular expression`;
        }
        return {
          kind: 'pattern',
          mode: expander === 'allexcept' ? 'except' : expander,
          pattern: argument,
        };
      }
      case 'select':
        return parseSelect(argument);
      case 'values':
      case 'fields':
        if (!/^\S+$/.test(argument)) return `${expander}: needs a list name`;
        return { kind: 'list', list: expander, name: argument };
      default:
        return `unknown field expander ${JSON.stringify(expander)}`;
    }
  }

  if (text.includes('__')) return parsePath(text);
  const known = tagOfKeyword(text);
  if (known === undefined) return { kind: 'nothing', text };
  return { kind: 'tag', tag: known };
}

/** deid's nested names: `Seq__Child`, `(0008,1115)__0__(0020,000E)`; an index names the item of the step before. */
function parsePath(text: string): FieldSelector | string {
  const steps: PathStep[] = [];
  for (const part of text.split('__')) {
    if (/^\d+$/.test(part)) {
      const last = steps.pop();
      if (!last || last.item !== undefined) return `${text}: an item index must follow a sequence`;
      steps.push({ tag: last.tag, item: Number(part) });
      continue;
    }
    const tag = /^\(?([0-9a-f]{4}),?\s*([0-9a-f]{4})\)?$/i.exec(part);
    const found = tag ? parseInt(`${tag[1]}${tag[2]}`, 16) >>> 0 : tagOfKeyword(part);
    if (found === undefined) return { kind: 'nothing', text };
    steps.push({ tag: found });
  }
  return { kind: 'path', steps };
}

function parseSelect(argument: string): FieldSelector | string {
  const [property = '', value = ''] = argument.split(':');
  const p = property.toLowerCase();
  if (p === 'vr') {
    const vr = value.slice(0, 2).toUpperCase();
    return isKnownVr(vr) ? { kind: 'vr', vr } : `unknown VR ${JSON.stringify(value)}`;
  }
  if (p === 'group') {
    return /^[0-9a-f]{1,4}$/i.test(value)
      ? { kind: 'group', group: parseInt(value, 16) }
      : `bad group ${JSON.stringify(value)}`;
  }
  const cls = CLASSES.find((c) => c === p);
  if (cls && value === '') return { kind: 'class', class: cls };
  return `unknown select: property ${JSON.stringify(argument)}`;
}

/** The regular expression a pattern selector tests (deid anchors startswith/endswith). */
function patternRegex(
  mode: 'startswith' | 'endswith' | 'contains' | 'except',
  pattern: string,
): RegExp {
  if (mode === 'startswith') return new RegExp(`^(${pattern})`, 'i');
  if (mode === 'endswith') return new RegExp(`(${pattern})$`, 'i');
  return new RegExp(pattern, 'i');
}

/** Where an element is, for selectors that depend on more than its tag: nested names and `values:` lists. */
export interface ElementContext {
  /** The sequences holding the element, outermost first, with the item index in each. */
  readonly ancestors: readonly { readonly tag: Tag; readonly item: number }[];
  /** The element's value as text. */
  readonly text: string;
  /** The file's `%values` list of this name as one expression, or undefined when it is empty. */
  valuesPattern(name: string): RegExp | undefined;
}

/** A compiled selector: a predicate over targets, and the single tag it names (if it does). */
export interface CompiledSelector {
  /** The tag, for selectors naming exactly one tag (indexed by the engine). */
  readonly tag: Tag | undefined;
  /** True when the selector may select `target` (for contextual selectors, a first test). */
  matches(target: SelectorTarget): boolean;
  /** For selectors that depend on where the element is or on its value: the full test. */
  readonly contextual?: (target: SelectorTarget, context: ElementContext) => boolean;
}

const NOTHING: CompiledSelector = { tag: undefined, matches: () => false };

/** Compile a selector into a predicate; `fieldsList` resolves `fields:<name>` to its selectors. */
export function compileSelector(
  selector: FieldSelector,
  fieldsList: (name: string) => readonly FieldSelector[] = () => [],
): CompiledSelector {
  switch (selector.kind) {
    case 'tag':
      return { tag: selector.tag, matches: (t) => t.tag === selector.tag };
    case 'mask':
      return { tag: undefined, matches: (t) => (t.tag & selector.mask) >>> 0 === selector.value };
    case 'private': {
      const creator = selector.creator.toUpperCase();
      return {
        tag: undefined,
        matches: (t) =>
          t.tag >>> 16 === selector.group &&
          (t.tag & 0xffff) >= 0x1000 &&
          (t.tag & 0xff) === selector.offset &&
          t.creator?.trim().toUpperCase() === creator,
      };
    }
    case 'all':
      return { tag: undefined, matches: () => true };
    case 'pattern':
      return patternSelector(selector.mode, selector.pattern);
    case 'vr':
      return { tag: undefined, matches: (t) => t.vr === selector.vr };
    case 'group':
      return { tag: undefined, matches: (t) => t.tag >>> 16 === selector.group };
    case 'class':
      return { tag: undefined, matches: classPredicate(selector.class) };
    case 'path':
      return pathSelector(selector.steps);
    case 'list':
      return selector.list === 'values'
        ? valuesSelector(selector.name)
        : anySelector(fieldsList(selector.name).map((f) => compileSelector(f)));
    case 'nothing':
      return NOTHING;
  }
}

function patternSelector(
  mode: 'startswith' | 'endswith' | 'contains' | 'except',
  pattern: string,
): CompiledSelector {
  const regex = patternRegex(mode, pattern);
  const negate = mode === 'except';
  const cache = new Map<string, boolean>();
  return {
    tag: undefined,
    matches: (t) => {
      const key = `${t.tag}|${t.creator ?? ''}`;
      let hit = cache.get(key);
      if (hit === undefined) {
        hit = namesOf(t).some((name) => regex.test(name));
        cache.set(key, hit);
      }
      return hit !== negate;
    },
  };
}

function pathSelector(steps: readonly PathStep[]): CompiledSelector {
  const last = steps[steps.length - 1];
  const outer = steps.slice(0, -1);
  return {
    tag: undefined,
    matches: (t) => t.tag === last?.tag,
    contextual: (t, context) =>
      t.tag === last?.tag &&
      context.ancestors.length === outer.length &&
      outer.every((step, i) => {
        const at = context.ancestors[i];
        return at?.tag === step.tag && (step.item === undefined || step.item === at.item);
      }),
  };
}

function valuesSelector(name: string): CompiledSelector {
  return {
    tag: undefined,
    // deid searches every element's value; sequences and bulk data have none.
    matches: (t) => t.vr !== 'SQ',
    contextual: (_t, context) => {
      const pattern = context.valuesPattern(name);
      return pattern !== undefined && context.text !== '' && pattern.test(context.text);
    },
  };
}

function anySelector(parts: readonly CompiledSelector[]): CompiledSelector {
  const contextual = parts.filter((p) => p.contextual);
  return {
    tag: parts.length === 1 ? parts[0]?.tag : undefined,
    matches: (t) => parts.some((p) => p.matches(t)),
    ...(contextual.length > 0
      ? {
          contextual: (t, context) =>
            parts.some((p) => (p.contextual ? p.contextual(t, context) : p.matches(t))),
        }
      : {}),
  };
}

function classPredicate(cls: ElementClass): (t: SelectorTarget) => boolean {
  switch (cls) {
    case 'private':
      return (t) => (t.tag & 0x10000) !== 0;
    case 'privatecreator':
      return (t) => (t.tag & 0x10000) !== 0 && (t.tag & 0xffff) >= 0x10 && (t.tag & 0xffff) <= 0xff;
    case 'retired':
      return (t) => t.retired;
    case 'unknown':
      return (t) => !t.known && (t.tag & 0x10000) === 0;
  }
}

/**
 * The names a pattern is tested against, as deid tests them: keyword, pydicom's name
 * (`Patient's Name`, `[Dataset UID]` for known private elements), `(gggg,eeee)`,
 * `ggggeeee`, and for private elements `gggg,"creator",ee` with and without parentheses.
 */
function namesOf(t: SelectorTarget): string[] {
  const formatted = formatTag(t.tag);
  const names = [formatted, formatted.replace(/[(),]/g, '')];
  if (t.keyword) {
    names.push(t.keyword);
    const name = nameOfKeyword(t.keyword);
    if (name) names.push(name);
  }
  if (t.creator !== undefined) {
    const group = formatted.slice(1, 5);
    const offset = formatted.slice(8, 10);
    names.push(`${group},"${t.creator}",${offset}`, `(${group},"${t.creator}",${offset})`);
    const name = nameOfPrivate(t.creator, t.tag >>> 16, t.tag & 0xff);
    if (name) names.push(name);
  }
  return names;
}
