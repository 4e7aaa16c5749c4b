import type { Command } from 'commander';

/** STUB: `deltasql status` — being implemented. */
export function register(_program: Command): void {}
