/**
 * Unpacks image layers into committed snapshots named by chain ID, once per chain ID.
 *
 * The unpack happens in an active snapshot labelled as an extraction; only a complete, verified
 * unpack is committed under the chain ID. A crash leaves the extraction active, and
 * `OverlaySnapshotter.cleanup()` removes it on the next start.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
import { InvalidParameterError, NotFoundError } from '../../util/errors.js';
import { unpackLayer } from '../layers/unpack.js';
import { chainId as chainIdOf } from './chain-id.js';
import { KeyedMutex } from '../../util/rwlock.js';
import { EXTRACT_LABEL, type OverlaySnapshotter } from './overlay.js';

export interface ApplyLayerOptions {
  /** The layer blob, compressed or not. */
  stream: Readable;
  /** Chain ID of the layers below; absent for the bottom layer. */
  parentChainId?: Digest;
  /**
   * The diff ID the image config promises. With it, an existing snapshot is found before reading
   * a byte, and the unpacked content is checked against it.
   */
  diffId?: Digest;
  /** Lease to hold the new snapshot by, so GC leaves it alone until the image is recorded. */
  lease?: string;
  /**
   * The caller checks the same bytes against `digest` itself (a pull stores the blob while it
   * is unpacked): they are not hashed twice, and the snapshot is committed only once `done`
   * resolves.
   */
  verified?: { digest: Digest; done: Promise<unknown> };
}

export interface AppliedLayer {
  chainId: Digest;
  diffId: Digest;
  /** Digest of the bytes read; absent when the snapshot already existed and nothing was read. */
  compressedDigest?: Digest;
  /** Uncompressed size; the snapshot's recorded size when nothing was read. */
  size: number;
  /** False when the snapshot already existed. */
  unpacked: boolean;
}

export class LayerApplier {
  private readonly locks = new KeyedMutex();

  constructor(private readonly snapshotter: OverlaySnapshotter) {}

  async applyLayer(opts: ApplyLayerOptions): Promise<AppliedLayer> {
    const { parentChainId } = opts;
    if (parentChainId !== undefined) {
      const parent = this.snapshotter.stat(parentChainId);
      if (!parent || parent.kind !== 'committed') throw new NotFoundError(`parent layer snapshot ${parentChainId} not found`);
    }
    if (opts.diffId !== undefined) {
      const diffId = opts.diffId;
      const chainId = chainIdOf(parentChainId, diffId);
      return this.locks.run(chainId, async () => {
        const existing = this.existing(chainId, diffId, opts);
        if (existing) return existing;
        return this.unpack(opts, true);
      });
    }
    return this.unpack(opts, false);
  }

  private existing(chainId: Digest, diffId: Digest, opts: ApplyLayerOptions): AppliedLayer | undefined {
    const info = this.snapshotter.stat(chainId);
    if (!info || info.kind !== 'committed') return undefined;
    opts.stream.destroy();
    this.hold(opts.lease, chainId);
    return { chainId, diffId, size: info.size, unpacked: false };
  }

  /** `locked`: the caller already holds the lock of the chain ID this layer will commit as. */
  private async unpack(opts: ApplyLayerOptions, locked: boolean): Promise<AppliedLayer> {
    const key = `extract-${randomBytes(8).toString('hex')}`;
    await this.snapshotter.prepare(key, opts.parentChainId, { labels: { [EXTRACT_LABEL]: opts.diffId ?? '' } });
    try {
      const result = await unpackLayer(opts.stream, {
        target: this.snapshotter.upperDir(key),
        mode: 'overlay',
        lowerDirs: this.snapshotter.lowerDirs(key),
        externallyVerified: opts.verified?.digest,
      });
      await opts.verified?.done;
      if (opts.diffId !== undefined && result.diffId !== opts.diffId) {
        throw new InvalidParameterError(`layer content has diff ID ${result.diffId}, but ${opts.diffId} was expected`);
      }
      const chainId = chainIdOf(opts.parentChainId, result.diffId);
      const commitOnce = async (): Promise<boolean> => {
        if (this.snapshotter.stat(chainId)) return false;
        await this.snapshotter.commit(chainId, key);
        return true;
      };
      const fresh = locked ? await commitOnce() : await this.locks.run(chainId, commitOnce);
      if (!fresh) await this.snapshotter.remove(key);
      this.hold(opts.lease, chainId);
      return { chainId, diffId: result.diffId, compressedDigest: result.compressedDigest, size: result.size, unpacked: fresh };
    } catch (err) {
      if (this.snapshotter.stat(key)) await this.snapshotter.remove(key).catch(() => {});
      throw err;
    }
  }

  private hold(lease: string | undefined, chainId: Digest): void {
    if (lease !== undefined) this.snapshotter.addLeaseResource(lease, chainId);
  }
}
