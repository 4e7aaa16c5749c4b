import type { Command } from 'commander';

/** STUB: `deltasql sync` — being implemented. */
export function register(_program: Command): void {}
