import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements (v3: CDK's own `Validations.of(construct).acknowledge`). Each one is
 * put on the narrowest construct it concerns, with the reason it is safe; cdk-nag reads them from
 * the resource and its parents. Nothing here imports cdk-nag: the checks run in the tests.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * AwsSolutions-IAM5 reports each wildcard resource of a policy as its own finding, e.g.
 * `Resource::<LakeBucket1234.Arn>/raw/ga4_traffic_daily/*`. This acknowledges exactly the given
 * resources (those with a `*`), written the way cdk-nag flattens CloudFormation references.
 */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    const flat = flattenReference(stack.resolve(resource));
    if (flat.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Resource::${flat}]`, reason);
  }
}

export function acknowledgeWildcardActions(scope: IConstruct, actions: readonly string[], reason: string): void {
  for (const action of actions) {
    if (action.includes('*')) acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
  }
}

/** The same flattening cdk-nag applies to a resolved CloudFormation value (Fn::Join, Fn::GetAtt, Ref, Fn::Sub). */
export function flattenReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (node !== null && typeof node === 'object') {
    const value = node as Record<string, unknown>;
    if (value['Fn::Join']) {
      const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
      return items.map(flattenReference).join(delimiter);
    }
    if (value['Fn::Sub']) return flattenReference(value['Fn::Sub']);
    if (value['Fn::GetAtt']) {
      const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenReference(resource)}.${flattenReference(attribute)}>`;
    }
    if (value['Fn::ImportValue']) return flattenReference(value['Fn::ImportValue']);
    if (value.Ref) return `<${flattenReference(value.Ref)}>`;
  }
  return JSON.stringify(node);
}
