/** Parity conformance on the server engines (see conformance-parity.ts). */
import { parityConformance } from './conformance-parity';

parityConformance(['postgres', 'mysql']);
