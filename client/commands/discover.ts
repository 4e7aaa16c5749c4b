import type { Command } from 'commander';

/** STUB: `deltasql discover` — being implemented. */
export function register(_program: Command): void {}
