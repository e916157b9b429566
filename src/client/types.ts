/** Shapes of Engine API responses as clients (the berth CLI, compose) read them. */

/** One published or exposed port in a container list entry. */
export interface ContainerPort {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

/** An entry of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  Ports: ContainerPort[] | null;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  /** Only with `size=1`. */
  SizeRw?: number;
  SizeRootFs?: number;
  Mounts?: Array<{ Name?: string; Source?: string }> | null;
  NetworkSettings?: { Networks?: Record<string, { NetworkID?: string; IPAddress?: string }> } | null;
}
