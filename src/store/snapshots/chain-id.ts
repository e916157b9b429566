import { sha256, type Digest } from '../../util/digest.js';

/**
 * The chain ID of a layer stack per the OCI image spec: the diff ID for the bottom layer,
 * then sha256("<parent chain ID> <diff ID>"). It names the committed snapshot of that stack.
 */
export function chainId(parent: Digest | undefined, diffId: Digest): Digest {
  return parent === undefined ? diffId : sha256(`${parent} ${diffId}`);
}

export function chainIds(diffIds: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(chainId(out.at(-1), d));
  return out;
}
