/** What every compose operation works with: the project, the API and a progress display. */
import type { Project } from '../loader/index.js';
import { progress, type ProgressWriter } from '../progress/index.js';
import type { ComposeApi } from './api.js';

export interface ComposeContext {
  api: ComposeApi;
  project: Project;
  progress: ProgressWriter;
}

/** A failure compose reports to the user as is (exit 1), e.g. a dependency that failed. */
export class ComposeEngineError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'ComposeEngineError';
  }
}

/** Runs `fn` over items with at most `limit` at a time; the first failure rejects (after the rest settle). */
export async function inParallel<T>(items: T[], fn: (item: T) => Promise<void>, limit = 16): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      try {
        await fn(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length) throw errors[0];
}

/** One progress line around an operation: `working`, then `done`, or Error with the message. */
export async function withProgress(ctx: Pick<ComposeContext, 'progress'>, id: string, working: string, done: string, fn: () => Promise<unknown>): Promise<void> {
  ctx.progress.event(progress.working(id, working));
  try {
    await fn();
  } catch (err) {
    ctx.progress.event(progress.error(id, 'Error', (err as Error).message));
    throw err;
  }
  ctx.progress.event(progress.done(id, done));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
