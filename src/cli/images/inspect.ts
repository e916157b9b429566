/** `berth image inspect`, `berth inspect` (any object) and `berth tag`. */
import { ApiError } from '../../client/client.js';
import type { Cli } from '../cli.js';
import { CliError } from '../errors.js';
import { splitReference } from '../format/ids.js';
import { renderObject, templateText } from '../format/output.js';
import { compileTemplate } from '../format/template.js';

export type ObjectType = 'container' | 'image' | 'network' | 'volume';

export interface InspectOptions {
  format?: string;
  /** Only look for this kind of object (docker's --type). */
  type?: ObjectType;
  /** Add SizeRw / SizeRootFs for containers. */
  size?: boolean;
}

const PATHS: Record<ObjectType, (name: string) => string> = {
  container: (n) => `/containers/${encodeURIComponent(n)}/json`,
  image: (n) => `/images/${encodeURIComponent(n)}/json`,
  network: (n) => `/networks/${encodeURIComponent(n)}`,
  volume: (n) => `/volumes/${encodeURIComponent(n)}`,
};

/** Looks `name` up as each allowed type in turn, as docker does for plain `inspect`. */
async function inspectOne(cli: Cli, name: string, types: ObjectType[], size?: boolean): Promise<unknown> {
  for (const type of types) {
    try {
      return await cli.client.get<unknown>(PATHS[type](name), type === 'container' && size ? { size: true } : undefined);
    } catch (err) {
      // A 404 (or an endpoint the daemon does not serve yet) means "try the next kind".
      if (types.length > 1 && err instanceof ApiError && err.status === 404) continue;
      throw err;
    }
  }
  throw new CliError(`Error: No such object: ${name}`);
}

/**
 * Prints every object that was found (a JSON array, or the template per object), then the
 * errors; exit status 1 if any name failed.
 */
export async function inspectObjects(cli: Cli, names: string[], opts: InspectOptions): Promise<void> {
  const types: ObjectType[] = opts.type ? [opts.type] : ['container', 'image', 'network', 'volume'];
  const tmpl = opts.format && opts.format !== 'json' ? compileTemplate(templateText(opts.format)) : undefined;
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    try {
      found.push(await inspectOne(cli, name, types, opts.size));
    } catch (err) {
      if (err instanceof ApiError || err instanceof CliError) errors.push(err instanceof ApiError ? `Error response from daemon: ${err.message}` : err.message);
      else throw err;
    }
  }
  if (tmpl || opts.format === 'json') for (const obj of found) cli.out(`${renderObject(obj, opts.format, tmpl)}\n`);
  else cli.out(`${JSON.stringify(found, null, 4)}\n`);
  if (errors.length) throw new CliError(errors.join('\n'));
}

/** POST /images/{source}/tag: the target defaults to `:latest` like docker. */
export async function tagImage(cli: Cli, source: string, target: string): Promise<void> {
  const { repo, tag, digest } = splitReference(target);
  if (digest) throw new CliError(`refusing to create a tag with a digest reference`);
  await cli.client.call('POST', `/images/${encodeURIComponent(source)}/tag`, { query: { repo, tag: tag ?? 'latest' } }).then((r) => r.resume());
}
