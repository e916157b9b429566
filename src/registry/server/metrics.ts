/**
 * Prometheus text-format counters for `GET /metrics`. Only counters and gauges, kept in
 * plain maps: cheap enough to update on every request.
 */
export class Metrics {
  private readonly requests = new Map<string, number>();
  bytesIn = 0;
  bytesOut = 0;
  blobsStored = 0;

  constructor(private readonly gauges: { uploadsActive: () => number; gcRuns: () => number; gcBytesFreed: () => number }) {}

  request(method: string, status: number, bytesIn: number, bytesOut: number): void {
    const key = `${method}|${status}`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    this.bytesIn += bytesIn;
    this.bytesOut += bytesOut;
  }

  render(): string {
    const lines: string[] = [
      '# HELP berth_registry_requests_total HTTP requests by method and status.',
      '# TYPE berth_registry_requests_total counter',
    ];
    for (const [key, n] of this.requests) {
      const [method, status] = key.split('|');
      lines.push(`berth_registry_requests_total{method="${method}",status="${status}"} ${n}`);
    }
    const metric = (name: string, type: string, help: string, value: number): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
    };
    metric('berth_registry_bytes_received_total', 'counter', 'Request body bytes received.', this.bytesIn);
    metric('berth_registry_bytes_sent_total', 'counter', 'Response body bytes sent.', this.bytesOut);
    metric('berth_registry_blobs_stored_total', 'counter', 'New blobs written to storage.', this.blobsStored);
    metric('berth_registry_gc_runs_total', 'counter', 'Garbage collection runs.', this.gauges.gcRuns());
    metric('berth_registry_gc_bytes_freed_total', 'counter', 'Bytes freed by garbage collection.', this.gauges.gcBytesFreed());
    metric('berth_registry_upload_sessions_active', 'gauge', 'Upload sessions in progress.', this.gauges.uploadsActive());
    return `${lines.join('\n')}\n`;
  }
}
