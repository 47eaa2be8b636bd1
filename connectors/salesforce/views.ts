import type { TableSchema, ViewDefinition } from '../../core/table/schema.ts';
import { defaultSalesforceObjects } from './config.ts';
import { latestViewNameOf } from './names.ts';
import { tableOf } from './tables.ts';

/**
 * `salesforce_<object>_latest`: the newest version of each record (by system_modstamp, then the
 * latest read of it), without the deleted ones. SQL in the subset Trino (Athena engine v3) and
 * DuckDB both run; `t.*` carries every column, those added by later syncs included.
 */
export function latestViewOf(objectName: string, table: TableSchema = tableOf(objectName)): ViewDefinition {
  return {
    name: latestViewNameOf(objectName),
    description: `The newest version of each ${objectName} (by system_modstamp, then synced_at), deleted records dropped.`,
    dependsOn: [table.name],
    columns: [
      ...table.columns,
      { name: 'version_rank', type: 'int64', nullable: false, description: 'Always 1: the rank of this version among the versions of its id' },
    ],
    sql: 'SELECT * FROM (SELECT t.*, row_number() OVER (PARTITION BY t.id ORDER BY t.system_modstamp DESC, t.synced_at DESC) AS version_rank ' +
      `FROM ${table.name} AS t) AS v WHERE v.version_rank = 1 AND NOT coalesce(v.is_deleted, false)`,
  };
}

export const salesforceViews: readonly ViewDefinition[] = defaultSalesforceObjects.map((object) => latestViewOf(object));
