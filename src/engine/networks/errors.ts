/** Network errors in Docker's words. */
import { BerthError, ConflictError, InvalidParameterError, NotFoundError } from '../../util/errors.js';

export class NetworkNotFoundError extends NotFoundError {
  constructor(nameOrId: string) {
    super(`network ${nameOrId} not found`);
  }
}

export class NetworkExistsError extends ConflictError {
  constructor(name: string) {
    super(`network with name ${name} already exists`);
  }
}

export class PoolOverlapError extends InvalidParameterError {
  constructor() {
    super('Pool overlaps with other one on this address space');
  }
}

/** 403, as dockerd answers for removing a network in use or a predefined one. */
export class NetworkForbiddenError extends BerthError {
  constructor(message: string) {
    super(403, 'BERTH_NETWORK_FORBIDDEN', message);
  }
}

export class AddressInUseError extends ConflictError {
  constructor(message: string) {
    super(message);
  }
}
