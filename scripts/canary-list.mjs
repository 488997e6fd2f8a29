// The canary values for the plain-JS test runner, read from the one TypeScript list without a TS loader.
import { readFileSync } from 'node:fs';

const source = readFileSync(new URL('../test/support/canaries.ts', import.meta.url), 'utf8');
const values = [...source.matchAll(/^\s+(\w+): '([^']+)',$/gm)].map(([, key, value]) => ({ label: `canary ${key}`, value }));
if (values.length < 8) throw new Error('run-tests: could not read the canary list from test/support/canaries.ts');
export const CANARIES = values;
