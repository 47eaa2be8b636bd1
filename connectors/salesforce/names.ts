/**
 * Salesforce API names → lake names. Everything in the lake is snake_case:
 * `SystemModstamp` → `system_modstamp`, `ConvertedOpportunityId` → `converted_opportunity_id`,
 * `MQL_Date__c` → `mql_date__c`, object `OpportunityHistory` → table `salesforce_opportunity_history`.
 */

/** snake_case of an API name: a break before an upper-case letter that follows a lower-case letter or digit, or that starts a word after an acronym. */
export function snakeCase(apiName: string): string {
  return apiName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

export function tableNameOf(objectName: string): string {
  return `salesforce_${snakeCase(objectName)}`;
}

export function latestViewNameOf(objectName: string): string {
  return `${tableNameOf(objectName)}_latest`;
}
