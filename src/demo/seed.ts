import { v7 as uuidv7 } from 'uuid';
import { VigilError } from '../errors.ts';
import type { Store } from '../store/store.ts';

export const DEMO_INSTANCE_NAME = 'Vigil Demo Hospital';

/**
 * Makes sure the instance row exists and says whether this database holds demo data. A production start on a
 * database that holds demo data is refused: demo patients must never mix with real ones.
 */
export async function ensureInstance(store: Store, options: { demo: boolean; production: boolean }): Promise<void> {
  await store.tx(async (trx) => {
    const row = await trx.selectFrom('vigil_instance').selectAll().forUpdate().limit(1).executeTakeFirst();
    if (row?.demo && options.production) {
      throw new VigilError('demo-data-in-production', 500, 'This database holds demo data; VIGIL_ENV=production refuses it. Use a database made for production.');
    }
    if (!row) {
      await trx
        .insertInto('vigil_instance')
        .values({ id: uuidv7(), name: options.demo ? DEMO_INSTANCE_NAME : 'Vigil', demo: options.demo })
        .execute();
    } else if (options.demo && !row.demo) {
      await trx.updateTable('vigil_instance').set({ demo: true, name: DEMO_INSTANCE_NAME }).where('id', '=', row.id).execute();
    }
  });
}
