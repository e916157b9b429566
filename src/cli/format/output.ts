/**
 * `--format` for lists and inspect, the way the docker CLI resolves it:
 *   ''/'table'        → the command's default table (or its quiet format with -q)
 *   'table TEMPLATE'  → a table whose header row comes from the fields the template uses
 *   'json'            → one JSON object per line
 *   anything else     → a Go template rendered per item, each followed by a newline
 * `\t` and `\n` typed literally on the command line become real tabs and newlines.
 */
import { goJSON } from './ids.js';
import { tabwrite } from './tabwriter.js';
import { compileTemplate, type Template } from './template.js';

export interface ListFormat {
  /** The user's --format value (may be empty). */
  format?: string;
  quiet?: boolean;
  /** e.g. `table {{.ID}}\t{{.Image}}` */
  defaultTable: string;
  /** Used for -q with the default format. */
  quietFormat: string;
  /** Column title per field: { ID: 'CONTAINER ID' }. */
  headers: Record<string, string>;
}

export type Row = Record<string, unknown>;

export function isTableFormat(format: string): boolean {
  return format === 'table' || format.startsWith('table ');
}

/** docker's preFormat: drop the `table` keyword, trim, unescape \t and \n. */
export function templateText(format: string): string {
  const body = isTableFormat(format) ? format.slice('table'.length) : format;
  return body.trim().replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** JSON with sorted keys, like Go's encoding of a map (docker's formatting contexts marshal as maps). */
export function sortedJSON(row: Row): string {
  const sorted: Row = {};
  for (const k of Object.keys(row).sort()) sorted[k] = row[k];
  return goJSON(sorted);
}

/** Renders list rows according to the format rules above. */
export function renderList(rows: Row[], spec: ListFormat): string {
  let format = spec.format?.trim() || 'table';
  if (format === 'json') return rows.map((r) => `${sortedJSON(r)}\n`).join('');
  if (format === 'table') format = spec.quiet ? spec.quietFormat : spec.defaultTable;
  const tmpl = compileTemplate(templateText(format));
  const body = rows.map((r) => `${tmpl.execute(r)}\n`).join('');
  if (!isTableFormat(format)) return body;
  return tabwrite(`${renderHeader(tmpl, rows[0], spec.headers)}\n${body}`);
}

/** The header row: the same template run over a row whose values are the column titles. */
function renderHeader(tmpl: Template, sample: Row | undefined, headers: Record<string, string>): string {
  const keys = new Set([...Object.keys(headers), ...Object.keys(sample ?? {})]);
  const headerRow: Row = {};
  for (const k of keys) {
    const title = headers[k] ?? k.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
    // Methods (`{{.Label "x"}}`) head their column with their own name.
    headerRow[k] = typeof sample?.[k] === 'function' ? () => title : title;
  }
  return tmpl.execute(headerRow);
}

/** Renders one object (inspect): JSON when no format, otherwise the template. */
export function renderObject(value: unknown, format: string | undefined, tmpl?: Template): string {
  if (!format) return JSON.stringify(value, null, 4);
  if (format === 'json') return JSON.stringify(value);
  return (tmpl ?? compileTemplate(templateText(format))).execute(value);
}
