/**
 * What one rule does to one element: its decision, or nothing when it declines (a condition
 * that is false, a variable that is unavailable, a function that returns undefined).
 */
import { SomError, errorKind } from '@som/core';
import type { PseudonymKey } from '@som/identifiers';
import { dateVrOf, isTimeText, shiftValues } from '../dates';
import type { DicomDataset } from '../dataset';
import type { DicomHeader } from '../header';
import { BUILTIN_FUNCTIONS, type BuiltinContext } from '../recipe/builtins';
import type {
  RecipeField,
  RecipeFunction,
  RecipeFunctionContext,
  RecipeRule,
  RecipeValue,
} from '../recipe/types';
import { IdentityTokens } from './identity';
import type { Subject } from './subject';

/** What the recipe decided for one element. */
export type Decision =
  | { readonly kind: 'keep' }
  | { readonly kind: 'remove' }
  | { readonly kind: 'blank' }
  | { readonly kind: 'set'; readonly text: string }
  | { readonly kind: 'items'; readonly items: ReadonlyArray<Readonly<Record<string, string>>> };

/** The decision to keep. */
export const KEEP: Decision = { kind: 'keep' };
/** The decision to remove. */
export const REMOVE: Decision = { kind: 'remove' };
const BLANK: Decision = { kind: 'blank' };

/** What rules may read besides the element: the file, the variables, the functions, the key. */
export interface RuleContext {
  /** The original header. */
  readonly header: DicomHeader;
  /** The variables `var:` can name (unavailable ones absent). */
  readonly variables: Readonly<Record<string, string | number>>;
  /** Variable names a recipe may use although they are absent now (they decline instead of failing). */
  readonly knownVariables: ReadonlySet<string>;
  /** The caller's `func:` functions. */
  readonly functions: Readonly<Record<string, RecipeFunction>>;
  /** The key of UID remapping. */
  readonly uidKey: PseudonymKey;
}

type Resolved = string | number | boolean | undefined;

/** Applies rules to elements of one file. */
export class RuleApplier {
  private identityTokens: IdentityTokens | undefined;

  constructor(private readonly context: RuleContext) {}

  /** True when the variable has a value for this file. */
  available(variable: string): boolean {
    return this.context.variables[variable] !== undefined;
  }

  /** The decision of `rule` for `subject`, or undefined when the rule declines. */
  apply(rule: RecipeRule, subject: Subject): Decision | undefined {
    switch (rule.action) {
      case 'KEEP':
      case 'REMOVE':
        if (rule.value && !this.condition(rule.value, rule, subject)) return undefined;
        return rule.action === 'KEEP' ? KEEP : REMOVE;
      case 'BLANK':
        return BLANK;
      case 'ADD':
      case 'REPLACE': {
        if (rule.value?.kind === 'items') return { kind: 'items', items: rule.value.items };
        const resolved = this.resolve(rule, subject);
        if (resolved === undefined) return undefined;
        if (typeof resolved === 'boolean') {
          throw new SomError(
            'InvalidArgument',
            `${subject.describe(rule)}: the function returned a boolean, not a value`,
          );
        }
        return { kind: 'set', text: String(resolved) };
      }
      case 'JITTER':
        return this.jitter(rule, subject);
    }
  }

  private jitter(rule: RecipeRule, subject: Subject): Decision | undefined {
    const resolved = this.resolve(rule, subject);
    if (resolved === undefined) return undefined;
    const days = typeof resolved === 'number' ? resolved : Number(resolved);
    if (typeof resolved === 'boolean' || !Number.isInteger(days)) {
      throw new SomError(
        'InvalidArgument',
        `${subject.describe(rule)}: JITTER needs a whole number of days`,
      );
    }
    const { vr } = subject.target;
    if (vr === 'SQ')
      throw new SomError('InvalidArgument', `${subject.describe(rule)}: cannot JITTER a sequence`);
    const text = subject.text;
    // Whole-day shifts leave times of day unchanged; a value that is not a valid time or
    // date cannot be shifted and is removed, never kept.
    if (vr === 'TM') return isTimeText(text) ? KEEP : REMOVE;
    if (text.trim() === '') return KEEP;
    const dateVr = vr === 'DA' || vr === 'DT' ? vr : dateVrOf(text);
    const shifted = dateVr === undefined ? undefined : shiftValues(text, dateVr, days);
    return shifted === undefined ? REMOVE : { kind: 'set', text: shifted };
  }

  private condition(value: RecipeValue, rule: RecipeRule, subject: Subject): boolean {
    const result = this.resolveValue(value, rule, subject);
    if (typeof result !== 'boolean') {
      throw new SomError(
        'InvalidArgument',
        `${subject.describe(rule)}: a ${rule.action} condition must return true or false`,
      );
    }
    return result;
  }

  private resolve(rule: RecipeRule, subject: Subject): Resolved {
    if (!rule.value)
      throw new SomError(
        'InvalidArgument',
        `${subject.describe(rule)}: ${rule.action} without a value`,
      );
    return this.resolveValue(rule.value, rule, subject);
  }

  /** A literal, a variable, or a function's result; undefined declines. */
  private resolveValue(value: RecipeValue, rule: RecipeRule, subject: Subject): Resolved {
    switch (value.kind) {
      case 'literal':
        return value.text;
      case 'var': {
        const v = this.context.variables[value.name];
        if (v === undefined && !this.context.knownVariables.has(value.name)) {
          throw new SomError(
            'InvalidArgument',
            `${subject.describe(rule)}: unknown variable var:${value.name}`,
          );
        }
        return v;
      }
      case 'func': {
        const fn = this.context.functions[value.name];
        if (!fn)
          throw new SomError(
            'InvalidArgument',
            `${subject.describe(rule)}: no function func:${value.name} was registered`,
          );
        try {
          return fn(this.functionContext(rule, subject));
        } catch (err) {
          // The function's own message may quote the value it was given: never shown.
          throw new SomError(
            'InvalidArgument',
            `${subject.describe(rule)}: func:${value.name} failed (${errorKind(err)})`,
            { cause: err },
          );
        }
      }
      case 'deid_func': {
        const fn = BUILTIN_FUNCTIONS[value.name];
        if (!fn)
          throw new SomError(
            'InvalidArgument',
            `${subject.describe(rule)}: unknown deid_func:${value.name}`,
          );
        return fn(this.builtinContext(rule, subject), value.args);
      }
      case 'items':
        throw new SomError(
          'InvalidArgument',
          `${subject.describe(rule)}: sequence items are a value only for ADD and REPLACE`,
        );
    }
  }

  private functionContext(rule: RecipeRule, subject: Subject): RecipeFunctionContext {
    return new FunctionCall(rule, subject, this.context);
  }

  private builtinContext(rule: RecipeRule, subject: Subject): BuiltinContext {
    return new BuiltinCall(rule, subject, this.context, () => this.identity());
  }

  private identity(): IdentityTokens {
    this.identityTokens ??= new IdentityTokens(this.context.header);
    return this.identityTokens;
  }
}

/** What a `func:` function is told about the element (the value is decoded on first read). */
class FunctionCall implements RecipeFunctionContext {
  readonly action: RecipeRule['action'];
  readonly header: DicomHeader;
  readonly item: Readonly<Record<string, string | number>>;

  constructor(
    protected readonly rule: RecipeRule,
    protected readonly subject: Subject,
    context: RuleContext,
  ) {
    this.action = rule.action;
    this.header = context.header;
    this.item = context.variables;
  }

  get field(): RecipeField {
    return this.subject.field;
  }

  get value(): string {
    return this.subject.text;
  }

  get dataset(): DicomDataset {
    return this.subject.dataset;
  }
}

/** What a `deid_func:` function is told: also the key and the file's identifying strings. */
class BuiltinCall extends FunctionCall implements BuiltinContext {
  readonly uidKey: PseudonymKey;

  constructor(
    rule: RecipeRule,
    subject: Subject,
    context: RuleContext,
    private readonly identities: () => IdentityTokens,
  ) {
    super(rule, subject, context);
    this.uidKey = context.uidKey;
  }

  get identity(): IdentityTokens {
    return this.identities();
  }

  describe(): string {
    return this.subject.describe(this.rule);
  }
}
