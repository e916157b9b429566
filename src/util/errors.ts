/**
 * Typed errors that carry the Docker-compatible HTTP status. The API layer turns any
 * BerthError into `{"message": ...}` with its status; anything else becomes a 500.
 * `code` is stable and machine-readable (like undici's UND_ERR_*), `message` is for people.
 */
export class BerthError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** 400: the request itself is wrong (malformed JSON, bad type, invalid name). */
export class InvalidParameterError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'BERTH_INVALID_PARAMETER', message, options);
  }
}

/** 404: the named object does not exist. */
export class NotFoundError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(404, 'BERTH_NOT_FOUND', message, options);
  }
}

/** 409: the operation conflicts with current state (name in use, image in use, ...). */
export class ConflictError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(409, 'BERTH_CONFLICT', message, options);
  }
}

/** 304: nothing to do (container already started/stopped). */
export class NotModifiedError extends BerthError {
  constructor(message = '') {
    super(304, 'BERTH_NOT_MODIFIED', message);
  }
}

/** 401/403: authentication or authorization failed. */
export class UnauthorizedError extends BerthError {
  constructor(message: string, status: 401 | 403 = 401) {
    super(status, 'BERTH_UNAUTHORIZED', message);
  }
}

/** 500 with a clear cause: a system call, runtime or adapter failed. */
export class SystemError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(500, 'BERTH_SYSTEM', message, options);
  }
}

/** 501: the daemon knows the request but this build or host cannot serve it. */
export class NotImplementedError extends BerthError {
  constructor(message: string) {
    super(501, 'BERTH_NOT_IMPLEMENTED', message);
  }
}

export function isBerthError(err: unknown): err is BerthError {
  return err instanceof BerthError;
}

/** A message for any thrown value, for logs and error bodies. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * Go's `errors.Wrapf` for a typed error: `<context>: <message>`, with the status of the
 * error wrapped (a plain error counts as a 500).
 */
export function wrapError(err: unknown, context: string): BerthError {
  const status = err instanceof BerthError ? err.status : 500;
  const code = err instanceof BerthError ? err.code : 'BERTH_SYSTEM';
  return new BerthError(status, code, `${context}: ${errorMessage(err)}`, { cause: err });
}
