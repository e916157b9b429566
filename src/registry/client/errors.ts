import { BerthError } from '../../util/errors.js';

/** One entry of a registry's `{"errors": [...]}` body (distribution-spec error codes). */
export interface RegistryErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

/** `MANIFEST_UNKNOWN` → `manifest unknown`, as Docker's errcode package prints codes. */
function describeCode(code: string): string {
  return code.toLowerCase().replace(/_/g, ' ');
}

/** Docker's rendering of a registry error list: `manifest unknown: manifest unknown`. */
export function formatRegistryErrors(errors: RegistryErrorEntry[]): string {
  return errors.map((e) => (e.message ? `${describeCode(e.code)}: ${e.message}` : describeCode(e.code))).join(', ');
}

function apiStatus(httpStatus: number): number {
  if (httpStatus === 401 || httpStatus === 403 || httpStatus === 404) return httpStatus;
  return 500;
}

/**
 * The registry answered with an error status. `errors` holds its error codes (empty when the
 * body was not the spec's JSON); `httpStatus` the status it sent.
 */
export class RegistryResponseError extends BerthError {
  constructor(
    readonly httpStatus: number,
    readonly errors: RegistryErrorEntry[],
    message: string,
  ) {
    super(apiStatus(httpStatus), 'BERTH_REGISTRY_RESPONSE', message);
  }

  /** The first registry error code (`MANIFEST_UNKNOWN`, `NAME_UNKNOWN`, `UNAUTHORIZED`, ...). */
  get registryCode(): string | undefined {
    return this.errors[0]?.code;
  }

  hasCode(...codes: string[]): boolean {
    return this.errors.some((e) => codes.includes(e.code));
  }

  static fromBody(httpStatus: number, statusText: string, body: string): RegistryResponseError {
    let errors: RegistryErrorEntry[] = [];
    try {
      const parsed = JSON.parse(body) as { errors?: RegistryErrorEntry[]; details?: string };
      if (Array.isArray(parsed.errors)) errors = parsed.errors.filter((e) => typeof e?.code === 'string');
    } catch {
      /* not JSON */
    }
    if (errors.length === 0 && httpStatus === 401) errors = [{ code: 'UNAUTHORIZED', message: 'authentication required' }];
    if (errors.length === 0 && httpStatus === 403) errors = [{ code: 'DENIED', message: 'requested access to the resource is denied' }];
    const message = errors.length ? formatRegistryErrors(errors) : `registry returned ${httpStatus} ${statusText}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
    return new RegistryResponseError(httpStatus, errors, message);
  }
}

/** The registry could not be reached (refused, reset, TLS failure, DNS). */
export class RegistryUnreachableError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(500, 'BERTH_REGISTRY_UNREACHABLE', message, options);
  }
}

/** What the registry sent does not match what was asked for (digest or size). */
export class RegistryContentError extends BerthError {
  constructor(message: string) {
    super(500, 'BERTH_REGISTRY_CONTENT', message);
  }
}
