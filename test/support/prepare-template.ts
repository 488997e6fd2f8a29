// Builds the migrated database template once before the test files start (they would each build it otherwise).
import { createTestDatabase } from './test-db.ts';

const db = await createTestDatabase();
await db.dispose();
