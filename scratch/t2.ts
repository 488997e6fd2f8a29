import { createTestDatabase } from '../test/support/test-db.ts';
let t = Date.now();
const d = await createTestDatabase(); console.log('create', d.engine, Date.now()-t); t=Date.now();
const s = await d.open(); console.log('open', Date.now()-t);
console.log(await s.db.selectFrom('vigil_schema_migrations').select('version').execute());
await s.close(); await d.dispose();
t = Date.now();
const d2 = await createTestDatabase(); console.log('create2', Date.now()-t); await d2.dispose();
