import { openStore } from '../src/store/store.ts';
import { migrate, migrationStatus } from '../src/store/migrate.ts';
const s = await openStore({ databaseUrl: 'postgres://postgres@127.0.0.1:55432/postgres' });
console.log(await migrationStatus(s));
console.log((await migrate(s, {allowDestructive:false, guardDestructive:true})).applied.map(m=>m.name));
console.log(await migrationStatus(s));
console.log(await s.db.selectFrom('vigil_schema_migrations').selectAll().execute());
await s.close();
