import { Aws, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as glue from 'aws-cdk-lib/aws-glue';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { KpiError } from '../../core/errors.ts';
import type { LakeCatalog } from '../../core/table/lake-catalog.ts';
import type { ColumnType, TableSchema } from '../../core/table/schema.ts';

export interface LakeCatalogProps {
  readonly bucket: s3.IBucket;
  /** Tables (and views, which are not created here) from `buildLakeCatalog(connectors)`. */
  readonly catalog: LakeCatalog;
  /** Glue database name: lowercase letters, digits and `_`. */
  readonly databaseName: string;
  readonly workGroupName: string;
  /** Prefix of Athena's query results in the bucket. @default 'athena-results/' */
  readonly athenaResultsPrefix?: string;
  /** Athena refuses a query that would scan more than this (at least 10 MB). */
  readonly bytesScannedCutoffMb: number;
  /**
   * First day partition projection enumerates: a query without a `dt` filter lists every day
   * from here to today. @default '2015-01-01'
   */
  readonly projectionStartDate?: string;
}

/** The Glue type of each column type of a TableSchema (the Parquet writer uses the same list). */
export const glueTypes: Readonly<Record<ColumnType, string>> = {
  string: 'string',
  int64: 'bigint',
  double: 'double',
  boolean: 'boolean',
  date: 'date',
  timestamp: 'timestamp',
};

/** Glue rejects a column comment over 255 characters. */
const MAX_COMMENT = 255;

/**
 * The Glue catalog and the Athena workgroup over the lake. Each table is generated from the same
 * TableSchema the Parquet writer and the DuckDB views use, so a column is declared once.
 *
 * Partitioned tables use partition projection on `dt` (YYYY-MM-DD): a day is queryable the moment
 * its files land, with no crawler and no `MSCK REPAIR`. Views (`ad_performance_daily`, …) are not
 * created here: the snapshot function runs `createViews` in Athena on every run from the same
 * ViewDefinition SQL DuckDB uses, so a view never drifts from its tables.
 */
export class LakeCatalogConstruct extends Construct {
  readonly database: glue.CfnDatabase;
  readonly databaseName: string;
  readonly workGroup: athena.CfnWorkGroup;
  readonly workGroupName: string;
  readonly tables: ReadonlyMap<string, glue.CfnTable>;

  constructor(scope: Construct, id: string, props: LakeCatalogProps) {
    super(scope, id);
    this.databaseName = props.databaseName;
    this.workGroupName = props.workGroupName;
    const resultsPrefix = props.athenaResultsPrefix ?? 'athena-results/';

    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: props.databaseName,
        description: 'KPI pipeline lake: raw tables per source, reference tables, KPI snapshots and unified views.',
      },
    });

    const tables = new Map<string, glue.CfnTable>();
    for (const table of props.catalog.tables) {
      const resource = new glue.CfnTable(this, `Table-${table.name}`, {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: props.databaseName,
        tableInput: glueTableInput(table, props.bucket.bucketName, props.projectionStartDate ?? '2015-01-01'),
      });
      resource.addResourceDependency(this.database);
      tables.set(table.name, resource);
    }
    this.tables = tables;

    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: 'KPI pipeline: snapshot and notify functions, and BI tools reading the lake.',
      state: 'ENABLED',
      // Deleting the stack deletes the workgroup's saved queries and history too.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: props.bytesScannedCutoffMb * 1024 * 1024,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${props.bucket.bucketName}/${resultsPrefix}`,
          encryptionConfiguration: { encryptionOption: 'SSE_S3' },
        },
      },
    });
  }

  /** `arn:…:glue:<region>:<account>:table/<database>/<name>` for the given table or view names. */
  tableArns(names: readonly string[]): string[] {
    const stack = Stack.of(this);
    return names.map((name) => stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${name}` }));
  }

  get databaseArn(): string {
    return Stack.of(this).formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName });
  }

  get catalogArn(): string {
    return Stack.of(this).formatArn({ service: 'glue', resource: 'catalog' });
  }

  get workGroupArn(): string {
    return Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName });
  }
}

/** The Glue TableInput of one lake table: Parquet, column comments, projection on `dt` when partitioned. */
export function glueTableInput(table: TableSchema, bucketName: string, projectionStartDate: string): glue.CfnTable.TableInputProperty {
  const partitioned = table.partitioned !== false;
  if (partitioned && table.columns.some((c) => c.name === 'dt')) {
    throw new KpiError(`table ${table.name} declares a column dt, which is its partition key; remove the column`, { context: { table: table.name } });
  }
  const location = `s3://${bucketName}/${table.location}/`;
  const parameters: Record<string, string> = {
    classification: 'parquet',
    EXTERNAL: 'TRUE',
    'parquet.compression': 'ZSTD',
  };
  if (partitioned) {
    Object.assign(parameters, {
      'projection.enabled': 'true',
      'projection.dt.type': 'date',
      'projection.dt.format': 'yyyy-MM-dd',
      'projection.dt.range': `${projectionStartDate},NOW`,
      'projection.dt.interval': '1',
      'projection.dt.interval.unit': 'DAYS',
      'storage.location.template': `s3://${bucketName}/${table.location}/dt=\${dt}/`,
    });
  }
  return {
    name: table.name,
    description: table.description,
    tableType: 'EXTERNAL_TABLE',
    parameters,
    partitionKeys: partitioned ? [{ name: 'dt', type: 'string', comment: 'Partition: the report date, YYYY-MM-DD' }] : [],
    storageDescriptor: {
      location,
      inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
      outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
      serdeInfo: {
        serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
        parameters: { 'serialization.format': '1' },
      },
      compressed: true,
      columns: table.columns.map((column) => ({
        name: column.name,
        type: glueTypes[column.type],
        comment: column.description.length > MAX_COMMENT ? `${column.description.slice(0, MAX_COMMENT - 1)}…` : column.description,
      })),
    },
  };
}
