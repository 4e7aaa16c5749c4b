import type { Command } from 'commander';

/** STUB: `deltasql snapshot` — being implemented. */
export function register(_program: Command): void {}
