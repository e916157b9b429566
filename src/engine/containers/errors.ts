/**
 * Docker's container state errors, in its words since Engine 25 (moby `daemon/errors.go`):
 * 409s that scripts match on, so each is worded in one place.
 */
import { ConflictError } from '../../util/errors.js';

export function notRunning(id: string): ConflictError {
  return new ConflictError(`container ${id} is not running`);
}

export function isRestarting(id: string): ConflictError {
  return new ConflictError(`Container ${id} is restarting, wait until the container is running`);
}

/** `ref` is what the client named the container by (exec create) or its ID (exec start). */
export function execPaused(ref: string): ConflictError {
  return new ConflictError(`Container ${ref} is paused, unpause the container before exec`);
}
