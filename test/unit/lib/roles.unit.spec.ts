import { parse, type OperationDefinitionNode } from 'graphql';
import { hasRole, highestRole, requiredRoleFor } from '../../../lib/auth/roles';
import { rootFieldsOf, rootTypeName } from '../../../lib/graphql/root-fields';

describe('role matrix', () => {
  it('orders viewer < operator < admin', () => {
    expect(hasRole('admin', 'operator')).toBe(true);
    expect(hasRole('operator', 'admin')).toBe(false);
    expect(hasRole(undefined, 'viewer')).toBe(false);
    expect(highestRole(['viewer', 'admin', 'unknown'])).toBe('admin');
    expect(highestRole(['nobody'])).toBeUndefined();
  });

  it('follows the contract and defaults unknown mutations to admin', () => {
    expect(requiredRoleFor('Mutation', 'registerCamera')).toBe('admin');
    expect(requiredRoleFor('Mutation', 'recordEvent')).toBe('operator');
    expect(requiredRoleFor('Mutation', 'startStream')).toBe('operator');
    expect(requiredRoleFor('Query', 'eventStats')).toBe('viewer');
    expect(requiredRoleFor('Subscription', 'eventRecorded')).toBe('viewer');
    expect(requiredRoleFor('Mutation', 'somethingNew')).toBe('admin');
  });

  it('finds root fields hidden in fragments', () => {
    const document = parse(
      'mutation M { ...F ... on Mutation { b: recordEvent(input: $i) { id } } } fragment F on Mutation { registerCamera(input: $x) { id } }',
    );
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(rootTypeName(operation)).toBe('Mutation');
    expect(rootFieldsOf(document, operation).sort()).toEqual(['recordEvent', 'registerCamera']);
  });
});
