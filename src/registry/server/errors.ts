/**
 * The distribution spec's error codes, each with its HTTP status. Handlers throw
 * RegistryError; the server writes `{"errors":[{"code","message","detail"}]}`.
 */
export const ERROR_STATUS = {
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  DIGEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  MANIFEST_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  NAME_INVALID: 400,
  NAME_UNKNOWN: 404,
  SIZE_INVALID: 400,
  TAG_INVALID: 400,
  UNAUTHORIZED: 401,
  DENIED: 403,
  UNSUPPORTED: 405,
  TOOMANYREQUESTS: 429,
  RANGE_INVALID: 416,
  UNKNOWN: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class RegistryError extends Error {
  readonly status: number;
  readonly headers: Record<string, string> = {};
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: unknown,
    status?: number,
  ) {
    super(message);
    this.status = status ?? ERROR_STATUS[code];
  }

  body(): string {
    // RANGE_INVALID is ours (416 for out-of-order chunks); the spec's body code for it is BLOB_UPLOAD_INVALID.
    const code = this.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : this.code;
    return JSON.stringify({ errors: [{ code, message: this.message, detail: this.detail ?? null }] });
  }
}
