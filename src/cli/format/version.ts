/**
 * `berth version`: the docker CLI's layout, produced with the same mechanism docker uses — a
 * Go template rendered through a tabwriter (minwidth 20, padding 1).
 */
import { tabwrite } from './tabwriter.js';
import { compileTemplate } from './template.js';

export interface ClientVersion {
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  NodeVersion: string;
  Os: string;
  Arch: string;
  Host: string;
}

export interface ServerComponent {
  Name: string;
  Version: string;
  Details?: Record<string, string>;
}

export interface ServerVersion {
  Platform?: { Name: string };
  Components?: ServerComponent[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit?: string;
  GoVersion?: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

export interface VersionInfo {
  Client: ClientVersion;
  Server?: ServerVersion;
}

const VERSION_TEMPLATE = `Client: berth
 Version:\t{{.Client.Version}}
 API version:\t{{.Client.ApiVersion}}{{if ne .Client.ApiVersion .Client.DefaultAPIVersion}} (downgraded from {{.Client.DefaultAPIVersion}}){{end}}
 Node.js version:\t{{.Client.NodeVersion}}
 OS/Arch:\t{{.Client.Os}}/{{.Client.Arch}}
 Host:\t{{.Client.Host}}
{{- with .Server}}

Server:{{with .Platform}}{{if ne .Name ""}} {{.Name}}{{end}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine"}}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else}}
  Version:\t{{$component.Version}}
  {{- range $key := detailKeys $component}}
  {{$key}}:\t{{index $component.Details $key}}
  {{- end}}
  {{- end}}
 {{- end}}
{{- end}}
`;

/** Go's time.ANSIC (`Mon Jan _2 15:04:05 2006`) in UTC, which docker uses for "Built". */
export function ansic(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** Fills what docker fills in before printing: ANSIC build times, Experimental, an Engine component. */
function normalizeServer(s: ServerVersion): ServerVersion {
  const components = s.Components?.length
    ? s.Components
    : [{ Name: 'Engine', Version: s.Version, Details: { ApiVersion: s.ApiVersion, MinAPIVersion: s.MinAPIVersion ?? '', GitCommit: s.GitCommit ?? '', GoVersion: s.GoVersion ?? '', Os: s.Os, Arch: s.Arch, BuildTime: s.BuildTime ?? '' } }];
  return {
    ...s,
    Components: components.map((c) => ({
      ...c,
      Details: {
        ...c.Details,
        ...(c.Details?.BuildTime ? { BuildTime: ansic(c.Details.BuildTime) } : {}),
        ...(c.Name === 'Engine' ? { Experimental: String(c.Details?.Experimental ?? s.Experimental ?? false) } : {}),
      },
    })),
  };
}

export function renderVersion(info: VersionInfo): string {
  const tmpl = compileTemplate(VERSION_TEMPLATE, {
    funcs: { detailKeys: (c) => Object.keys((c as ServerComponent).Details ?? {}).sort() },
  });
  const data = { ...info, Server: info.Server ? normalizeServer(info.Server) : undefined };
  return tabwrite(tmpl.execute(data), { minWidth: 20, padding: 1 });
}

/**
 * The version for `--format`: docker's templates name fields as Go does (`.Server.APIVersion`),
 * while `{{json .Server}}` shows the JSON keys (`ApiVersion`). The Go name is there too, kept out
 * of the JSON.
 */
export function versionTemplateData(info: VersionInfo): VersionInfo {
  const withGoNames = <T extends { ApiVersion: string }>(v: T): T => Object.defineProperty({ ...v }, 'APIVersion', { get: () => v.ApiVersion, enumerable: false });
  return { Client: withGoNames(info.Client), Server: info.Server && withGoNames(info.Server) };
}
