/**
 * How the CLI fails. Commands throw; main() prints one line to stderr and exits with the code
 * docker would use: 1 in general, 125 for usage and engine errors of `run`, and the container's
 * own code (or 126/127) for `run`, `start -a`, `exec`.
 */
import { ApiError, ConnectionError } from '../client/client.js';
import { TemplateError } from './format/template.js';

/** A failure with a message for the user and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Exit with a status and no message of our own (a container's exit code, or errors already printed). */
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
    this.name = 'ExitStatus';
  }
}

/** The line docker prints for an error. */
export function describeError(err: unknown, host: string): string {
  if (err instanceof ExitStatus) return '';
  if (err instanceof ApiError) return `Error response from daemon: ${err.message}`;
  if (err instanceof ConnectionError) return `berthd is not reachable at ${host} (${(err.cause as Error | undefined)?.message ?? err.message}). Is the berth daemon running?`;
  if (err instanceof TemplateError) return `template: ${err.message}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof CliError || err instanceof ExitStatus) return err.exitCode;
  return 1;
}
