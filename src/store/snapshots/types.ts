/** A mount as the runtime needs it: `mount -t <type> -o <options> <source> <target>`. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

/**
 * active: a writable snapshot, named by the caller's key, that will be committed or removed.
 * view: a read-only snapshot under a caller's key (never committed).
 * committed: an immutable snapshot under a name; the only kind that can be a parent.
 */
export type SnapshotKind = 'committed' | 'active' | 'view';

export interface SnapshotInfo {
  /** The key of an active/view snapshot, or the name of a committed one. */
  key: string;
  parent?: string;
  kind: SnapshotKind;
  labels: Record<string, string>;
  /** ms since the epoch */
  createdAt: number;
  /** Bytes in the snapshot's own directory, measured at commit (0 while active). */
  size: number;
}

export interface Usage {
  size: number;
  inodes: number;
}

/**
 * A snapshotter keeps a tree of filesystem snapshots and hands out mounts for them.
 *
 * Vocabulary. Every snapshot is reached by one string, but what that string means depends on the
 * snapshot's state:
 *
 * - A **key** names work in progress. `prepare(key, parent)` makes an *active* snapshot: a
 *   writable directory stacked on `parent`, returned as mounts the caller mounts wherever it
 *   likes. `view(key, parent)` makes the read-only equivalent. Keys are chosen by the caller and
 *   mean nothing to the snapshotter ("extract-9f2c…", a container ID).
 * - A **name** names a finished, immutable snapshot. `commit(name, key)` turns the active
 *   snapshot `key` into the committed snapshot `name`; the key is gone afterwards. Only committed
 *   snapshots can be parents.
 *
 * Unpacking an image is the canonical use: for each layer, `prepare("extract-<random>", parent)`,
 * unpack the layer into the upper directory, and `commit(chainId, "extract-<random>")`. The next
 * layer's parent is that chain ID. A container then does `prepare(containerId, topChainId)` and
 * mounts the result as its rootfs; `docker commit` reads the active snapshot's upper directory
 * as a new layer.
 *
 *     prepare("extract-1")            -> active  "extract-1"   (empty, writable)
 *     commit("sha256:aaa", "extract-1") -> committed "sha256:aaa"
 *     prepare("extract-2", "sha256:aaa") -> active "extract-2" over aaa
 *     commit("sha256:bbb", "extract-2") -> committed "sha256:bbb" (parent aaa)
 *     prepare("c0ffee", "sha256:bbb")   -> the container's rootfs
 *
 * `remove` refuses a snapshot that still has children, so a chain is removed from the top down.
 */
export interface Snapshotter {
  prepare(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  view(key: string, parent?: string, opts?: { labels?: Record<string, string> }): Promise<Mount[]>;
  mounts(key: string): Mount[];
  commit(name: string, key: string, opts?: { labels?: Record<string, string> }): Promise<void>;
  remove(key: string): Promise<void>;
  stat(key: string): SnapshotInfo | undefined;
  usage(key: string): Promise<Usage>;
  list(): SnapshotInfo[];
  /** The writable directory of an active snapshot (what a diff reads). */
  upperDir(key: string): string;
  /** The directories of the snapshot's ancestors, nearest first (overlay's lowerdir order). */
  lowerDirs(key: string): string[];
}
