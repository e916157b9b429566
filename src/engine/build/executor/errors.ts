import { InvalidParameterError } from '../../../util/errors.js';

/** A RUN step exited non-zero; `exitCode` becomes errorDetail.code (the docker CLI's exit status). */
export class BuildStepFailedError extends InvalidParameterError {
  constructor(readonly command: string, readonly exitCode: number) {
    super(`The command '${command}' returned a non-zero code: ${exitCode}`);
  }
}

/** The build was cancelled (the client went away). */
export class BuildCancelledError extends InvalidParameterError {
  constructor() {
    super('the build was cancelled');
  }
}
