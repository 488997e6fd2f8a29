#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx strips types; `npm run typecheck` checks them).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
