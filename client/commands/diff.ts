import type { Command } from 'commander';

/** STUB: `deltasql diff` — being implemented. */
export function register(_program: Command): void {}
