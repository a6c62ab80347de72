/**
 * Which recipe rules selected nothing over a whole run, to report once at its end (a
 * selector that matches no file is usually a typo or a recipe written for other data).
 */
import type { Recipe } from './types';

/** Collects the rules of a recipe that selected something, file by file. */
export class SelectorTally {
  private readonly matched = new Set<string>();

  /** @param recipe the recipe the run applies (only its parsed layers' rules are tallied). */
  constructor(private readonly recipe: Recipe) {}

  /** Record a file's result (`DeidResult.matchedRules`; plain strings, so it crosses worker threads). */
  record(matchedRules: Iterable<string>): void {
    for (const origin of matchedRules) this.matched.add(origin);
  }

  /**
   * One message per rule whose field selected nothing in any recorded file, e.g.
   * `deid.dicom line 842: REMOVE contains:Trial selected nothing in any file`. Rules naming
   * no attribute at all were warned about when the recipe was parsed and are not repeated;
   * ADD rules create what they name and are never listed.
   */
  unmatched(): string[] {
    const out: string[] = [];
    for (const layer of this.recipe.layers) {
      if (layer.order !== 'file-order') continue;
      for (const rule of layer.rules) {
        if (rule.action === 'ADD' || rule.field.kind === 'nothing') continue;
        if (!this.matched.has(rule.origin)) {
          const field = rule.fieldText === undefined ? '' : ` ${rule.fieldText}`;
          out.push(`${rule.origin}: ${rule.action}${field} selected nothing in any file`);
        }
      }
    }
    return out;
  }
}
