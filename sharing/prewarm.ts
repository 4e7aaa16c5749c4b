/**
 * Kept answers for new versions before anyone asks (sharing/answer-store.ts): the server notes
 * which shared tables are queried at their latest version, and from which public base URL (kept
 * answers hold the URLs' prefix), and every `intervalMs` looks at those tables' latest versions;
 * a version committed since is answered once with no client waiting, into a kept answer. So the
 * first query of a freshly published version is, most of the time, already a re-signed read.
 * One build at a time, in the background; a failed build is retried at the next look.
 */
import type { CatalogTable } from '../catalog/store';

/** Base URLs remembered per table (a server is normally reached under one or two names). */
const MAX_BASES = 4;

export interface PrewarmOptions {
  intervalMs: number;
  findTable(tableId: string): Promise<CatalogTable | null>;
  /** Build the kept answer of the table's latest version for this base (no-op when kept already). */
  build(t: CatalogTable, base: string): Promise<void>;
}

export class Prewarmer {
  private readonly bases = new Map<string, string[]>();
  /** Latest version built (or found kept) per `tableId\nbase`. */
  private readonly built = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Builds that failed (retried at the next look); for tests and diagnostics. */
  failures = 0;

  constructor(private readonly o: PrewarmOptions) {}

  /** A latest-version answer was sent for `t` under `base`, at `version`. */
  note(t: CatalogTable, base: string, version: number): void {
    const list = this.bases.get(t.tableId) ?? [];
    if (!list.includes(base)) {
      if (list.length >= MAX_BASES) list.shift();
      list.push(base);
      this.bases.set(t.tableId, list);
    }
    const k = `${t.tableId}\n${base}`;
    this.built.set(k, Math.max(this.built.get(k) ?? -1, version));
    this.start();
  }

  private start(): void {
    if (this.timer !== null || this.o.intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.running ??= this.look().finally(() => (this.running = null));
    }, this.o.intervalMs);
    this.timer.unref();
  }

  /** One look at every noted table: build what a newer latest version needs. */
  async look(): Promise<void> {
    for (const [tableId, bases] of [...this.bases]) {
      if (this.timer === null) return;
      const t = await this.o.findTable(tableId).catch(() => null);
      if (t === null || t.lastVersion === null) continue;
      for (const base of [...bases]) {
        const k = `${tableId}\n${base}`;
        if ((this.built.get(k) ?? -1) >= t.lastVersion) continue;
        try {
          await this.o.build(t, base);
          this.built.set(k, t.lastVersion);
        } catch {
          this.failures++;
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
