import type { Readable } from 'node:stream';
import type { Digest } from '../../util/digest.js';
export { chainIds } from '../../store/snapshots/chain-id.js';

/**
 * What the image service needs from the snapshotter: layers unpacked once per chain ID.
 * (The overlay snapshotter implements it; tests can use a fake.)
 */
export interface LayerUnpacker {
  /**
   * Unpacks a layer (gzip, zstd or plain tar) on top of the snapshot `parentChainId`.
   * Idempotent per chain ID. The diffID the config promises, when known, is checked.
   * `verified`: the caller checks the bytes against that digest itself (see LayerApplier).
   */
  applyLayer(opts: { stream: Readable; parentChainId?: Digest; diffId?: Digest; verified?: { digest: Digest; done: Promise<unknown> } }): Promise<{ diffId: Digest; chainId: Digest; size: number }>;
  /** Whether a committed snapshot exists for this chain ID. */
  hasChain(chainId: Digest): boolean;
  /** Unpacked size of the layer at this chain ID (its own bytes, not its parents'). */
  layerSize(chainId: Digest): number;
}
