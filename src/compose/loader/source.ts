import { Alias, Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node } from 'yaml';
import { ComposeError } from './errors.js';
import type { KeyPath } from './errors.js';
import { setPos, setSelfPos } from './positions.js';
import type { SourcePos } from './positions.js';

/** A plain YAML tree: what the loader's stages pass to each other. */
export type Tree = string | number | boolean | null | Tree[] | TreeMap | ResetTag | OverrideTag;
export interface TreeMap {
  [key: string]: Tree;
}

/** `!reset`: an override file removes the value inherited from earlier files. */
export class ResetTag {}

/** `!override`: an override file replaces the value instead of merging it. */
export class OverrideTag {
  constructor(readonly value: Tree) {}
}

export function isTreeMap(value: unknown): value is TreeMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ResetTag) && !(value instanceof OverrideTag);
}

export interface ParseOptions {
  /** The text of the file. */
  text: string;
  /** The name errors show, usually the path relative to the project directory. */
  displayName: string;
}

/**
 * Parses one Compose file into a plain tree, resolving aliases and `<<` merge keys and turning
 * the `!reset`/`!override` tags into marker objects, while recording the line of every key.
 */
export function parseComposeYaml(options: ParseOptions): Tree {
  const lineCounter = new LineCounter();
  const doc = parseDocument(options.text, { lineCounter, merge: false, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const line = lineCounter.linePos(err.pos[0]).line;
    throw new ComposeError(`yaml: ${err.message.split('\n')[0]}`, { pos: { file: options.displayName, line } });
  }
  const converter = new Converter(doc, lineCounter, options.displayName, options.text);
  if (doc.contents === null) return {};
  return converter.convert(doc.contents as Node, []);
}

class Converter {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly text: string,
  ) {}

  private pos(node: unknown): SourcePos | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    if (!range) return undefined;
    return { file: this.file, line: this.lines.linePos(range[0]).line };
  }

  convert(node: Node | null, path: KeyPath, seen: Set<Node> = new Set()): Tree {
    if (node === null) return null;
    if (isAlias(node)) {
      const target = (node as Alias).resolve(this.doc);
      if (!target) throw new ComposeError(`yaml: unknown anchor "${(node as Alias).source}"`, { pos: this.pos(node), path });
      if (seen.has(target)) throw new ComposeError('yaml: recursive alias', { pos: this.pos(node), path });
      return this.convert(target, path, new Set([...seen, target]));
    }
    const tag = (node as { tag?: string }).tag;
    if (tag === '!reset') return new ResetTag();
    if (tag === '!override') return new OverrideTag(this.convertUntagged(node, path, seen));
    return this.convertUntagged(node, path, seen);
  }

  private convertUntagged(node: Node, path: KeyPath, seen: Set<Node>): Tree {
    if (isScalar(node)) {
      const value = node.value;
      if (value === null || value === undefined) return null;
      if (typeof value === 'number' && node.type === 'PLAIN' && node.range) {
        // Compose reads YAML with Go's yaml.v3, where a leading 0 means octal (file modes: 0440).
        const source = this.text.slice(node.range[0], node.range[1]).trim();
        if (/^0[0-7]+$/.test(source)) return parseInt(source, 8);
      }
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
      if (typeof value === 'bigint') return Number(value);
      return String(value);
    }
    if (isSeq(node)) {
      const out: Tree[] = [];
      setSelfPos(out, this.pos(node));
      node.items.forEach((item, i) => {
        setPos(out, i, this.pos(item));
        out.push(this.convert(item as Node, [...path, i], seen));
      });
      return out;
    }
    if (isMap(node)) {
      const out: TreeMap = {};
      setSelfPos(out, this.pos(node));
      const merged: Array<{ map: TreeMap; pos: SourcePos | undefined }> = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
          const value = this.convert(pair.value as Node, path, seen);
          const sources = Array.isArray(value) ? value : [value];
          for (const src of sources) {
            if (!isTreeMap(src)) throw new ComposeError('yaml: map merge requires map or sequence of maps as the value', { pos: this.pos(keyNode), path });
            merged.push({ map: src, pos: this.pos(pair.value) });
          }
          continue;
        }
        setPos(out, key, this.pos(keyNode));
        out[key] = this.convert(pair.value as Node, [...path, key], seen);
      }
      // Explicit keys win over merged ones; among merged maps the first one listed wins.
      for (const { map, pos } of merged) {
        for (const [k, v] of Object.entries(map)) {
          if (k in out) continue;
          setPos(out, k, pos);
          out[k] = v;
        }
      }
      return out;
    }
    return null;
  }
}
