import type { Command } from 'commander';

/** STUB: `deltasql worker` — being implemented. */
export function register(_program: Command): void {}
