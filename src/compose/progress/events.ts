/**
 * Progress of a compose operation as a list of resources, each with its latest status:
 * `Container x-web-1  Started`. Writers decide how to show them (live block on a terminal,
 * one line per change otherwise, nothing in quiet mode).
 */
export type ProgressState = 'working' | 'done' | 'error' | 'warning';

export interface ProgressEvent {
  /** `Network x_default`, `Container x-web-1`, `Image busybox` … */
  id: string;
  /** `Creating`, `Created`, `Started`, `Healthy`, `Error` … */
  text: string;
  state: ProgressState;
  /** Extra text after the status, e.g. an error message. */
  details?: string;
}

export interface ProgressWriter {
  event(e: ProgressEvent): void;
  /** Free text above the resource block (build output, warnings). */
  info(text: string): void;
  /** Draws the final state and stops updating. */
  stop(): void;
}

/** Shorthands for the common transitions. */
export const progress = {
  working: (id: string, text: string): ProgressEvent => ({ id, text, state: 'working' }),
  done: (id: string, text: string): ProgressEvent => ({ id, text, state: 'done' }),
  error: (id: string, text: string, details?: string): ProgressEvent => ({ id, text, state: 'error', details }),
  warning: (id: string, text: string, details?: string): ProgressEvent => ({ id, text, state: 'warning', details }),
};

export const quietWriter: ProgressWriter = { event: () => {}, info: () => {}, stop: () => {} };
