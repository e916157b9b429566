/**
 * Who is waiting for a container to exit or to be removed (`POST /containers/{id}/wait`).
 * Conditions as Docker: `not-running` (resolve now if not running), `next-exit`, `removed`.
 */
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export interface WaitResult {
  StatusCode: number;
  Error?: { Message: string } | null;
}

type Resolver = (r: WaitResult) => void;

export class Waiters {
  private readonly exits = new Map<string, Set<Resolver>>();
  private readonly removals = new Map<string, Set<Resolver>>();

  wait(id: string, on: 'exit' | 'removed', signal?: AbortSignal): Promise<WaitResult> {
    const map = on === 'exit' ? this.exits : this.removals;
    return new Promise((resolve, reject) => {
      const set = map.get(id) ?? new Set<Resolver>();
      map.set(id, set);
      const done: Resolver = (r) => {
        set.delete(done);
        resolve(r);
      };
      set.add(done);
      signal?.addEventListener('abort', () => {
        set.delete(done);
        reject(signal.reason);
      });
    });
  }

  exited(id: string, code: number): void {
    for (const r of [...(this.exits.get(id) ?? [])]) r({ StatusCode: code, Error: null });
  }

  removed(id: string, code: number): void {
    this.exited(id, code);
    for (const r of [...(this.removals.get(id) ?? [])]) r({ StatusCode: code, Error: null });
    this.exits.delete(id);
    this.removals.delete(id);
  }
}
