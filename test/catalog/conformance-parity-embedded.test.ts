/** Parity conformance on the embedded engines (see conformance-parity.ts). */
import { parityConformance } from './conformance-parity';

parityConformance(['sqlite', 'duckdb']);
