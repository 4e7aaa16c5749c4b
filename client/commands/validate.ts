import type { Command } from 'commander';

/** STUB: `deltasql validate` — being implemented. */
export function register(_program: Command): void {}
