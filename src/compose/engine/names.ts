/** How compose names what it creates. */
import type { Project, Service } from '../loader/index.js';

/** `PROJECT-SERVICE-N` unless the service sets `container_name` (which allows one replica). */
export function containerName(project: Project, service: Service, number: number): string {
  return service.container_name ?? `${project.name}-${service.name}-${number}`;
}

/** The image compose builds for a service without `image:`: `PROJECT-SERVICE`. */
export function imageName(project: Project, service: Service): string {
  return service.image ?? `${project.name}-${service.name}`;
}

/** Docker container names come back with a leading slash. */
export function displayName(names: string[] | string): string {
  const name = Array.isArray(names) ? (names[0] ?? '') : names;
  return name.replace(/^\//, '');
}
