/**
 * A volume driver, shaped like Docker's volume plugin protocol (`/VolumeDriver.*`), so the
 * built-in local driver and an external plugin look the same to the volume service.
 *
 * Vocabulary:
 * - A volume has a *name* (unique per driver) and driver *options* given at create.
 * - `mount(name, callerId)` asks the driver to make the volume's data available on the host
 *   for one caller (a container ID) and returns the host path; `unmount(name, callerId)`
 *   says that caller is done. A driver counts callers itself: it may mount on the first and
 *   unmount on the last (the local driver does that for tmpfs/device-backed volumes).
 * - `path(name)` is where the data is (or will be) without mounting anything.
 */
export interface VolumeDriver {
  readonly name: string;
  create(name: string, options: Record<string, string>): Promise<void>;
  remove(name: string): Promise<void>;
  mount(name: string, callerId: string): Promise<string>;
  unmount(name: string, callerId: string): Promise<void>;
  path(name: string): Promise<string>;
  get(name: string): Promise<DriverVolume | undefined>;
  list(): Promise<DriverVolume[]>;
  capabilities(): Promise<{ Scope: 'local' | 'global' }>;
}

/** What a driver knows about one of its volumes (the plugin protocol's `Volume` object). */
export interface DriverVolume {
  Name: string;
  Mountpoint: string;
  CreatedAt?: string;
  Status?: Record<string, unknown>;
}
