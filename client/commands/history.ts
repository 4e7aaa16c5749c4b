import type { Command } from 'commander';

/** STUB: `deltasql history` — being implemented. */
export function register(_program: Command): void {}
