export { unpackLayer, type ApplyMode, type UnpackOptions, type UnpackResult } from './unpack.js';
export { diffUpperDir, changes, ChangeKind, type Change, type DiffOptions } from './diff.js';
export { decompress, detectCompression, type Compression } from './decompress.js';
