/**
 * Instruction flags (`--from=x`, `--link`, `--mount=...` repeated), checked against the set an
 * instruction accepts. Rules follow BuildKit's BFlags: string flags need `=value`, booleans take
 * nothing or `=true|false`, only list flags may repeat.
 */
import { withSuggestion } from './errors.js';

export type FlagKind = 'bool' | 'string' | 'strings';
export type FlagSpec = Readonly<Record<string, FlagKind>>;

export class ParsedFlags {
  private readonly strings = new Map<string, string>();
  private readonly lists = new Map<string, string[]>();
  private readonly bools = new Map<string, boolean>();

  constructor(readonly spec: FlagSpec, words: readonly string[]) {
    for (const word of words) {
      if (word === '--') break;
      if (!word.startsWith('--')) throw new Error(`arg should start with -- : ${word}`);
      const eq = word.indexOf('=');
      const flagName = eq < 0 ? word : word.slice(0, eq);
      const value = eq < 0 ? undefined : word.slice(eq + 1);
      const name = flagName.slice(2);
      const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
      if (kind === undefined) {
        throw new Error(withSuggestion(`unknown flag: ${flagName}`, name, Object.keys(spec), true));
      }
      if (kind !== 'strings' && (this.strings.has(name) || this.bools.has(name))) {
        throw new Error(`duplicate flag specified: ${flagName}`);
      }
      if (kind === 'bool') {
        if (value === '') throw new Error(`missing a value on flag: ${flagName}`);
        const v = (value ?? 'true').toLowerCase();
        if (v !== 'true' && v !== 'false') throw new Error(`expecting boolean value for flag ${flagName}, not: ${value}`);
        this.bools.set(name, v === 'true');
      } else {
        if (value === undefined) throw new Error(`missing a value on flag: ${flagName}`);
        if (kind === 'string') this.strings.set(name, value);
        else this.lists.set(name, [...(this.lists.get(name) ?? []), value]);
      }
    }
  }

  string(name: string): string | undefined {
    return this.strings.get(name);
  }
  list(name: string): string[] {
    return this.lists.get(name) ?? [];
  }
  /** undefined when the flag was not given, so callers can tell "false" from "absent". */
  bool(name: string): boolean | undefined {
    return this.bools.get(name);
  }
  used(name: string): boolean {
    return this.strings.has(name) || this.lists.has(name) || this.bools.has(name);
  }
}
