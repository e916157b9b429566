export type { Mount, SnapshotInfo, SnapshotKind, Snapshotter, Usage } from './types.js';
export { OverlaySnapshotter, EXTRACT_LABEL, type OverlaySnapshotterOptions } from './overlay.js';
export { LayerApplier, type ApplyLayerOptions, type AppliedLayer } from './apply-layer.js';
export { chainId, chainIds } from './chain-id.js';
export { mountRootfs, unmountRootfs, compactOverlayOptions } from './rootfs.js';
