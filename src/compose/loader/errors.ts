import { InvalidParameterError } from '../../util/errors.js';
import type { SourcePos } from './positions.js';

/** A key path inside a Compose file, e.g. `['services', 'web', 'ports', 0]`. */
export type KeyPath = ReadonlyArray<string | number>;

/** `services.web.ports[0]` */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

export interface ComposeErrorDetails {
  pos?: SourcePos;
  path?: KeyPath;
  cause?: unknown;
}

/**
 * Every problem found in Compose files. The message reads like compose's own:
 * `compose.yaml:12: services.web.ports[0]: invalid port "80:abc"`; the parts are also kept
 * as fields so callers (the CLI, an editor integration) can point at the spot.
 */
export class ComposeError extends InvalidParameterError {
  readonly file?: string;
  readonly line?: number;
  readonly keyPath?: string;
  readonly reason: string;
  constructor(reason: string, details: ComposeErrorDetails = {}) {
    const keyPath = details.path && details.path.length > 0 ? formatPath(details.path) : undefined;
    const where = details.pos ? `${details.pos.file}:${details.pos.line}: ` : '';
    super(`${where}${keyPath ? `${keyPath}: ` : ''}${reason}`, { cause: details.cause });
    this.file = details.pos?.file;
    this.line = details.pos?.line;
    this.keyPath = keyPath;
    this.reason = reason;
  }
}
