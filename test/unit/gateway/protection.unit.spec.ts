import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import type { GatewayContext } from '../../../gateway/src/context/gateway-context';
import { authorizationPlugin, authorizeOperation, requestAdmission } from '../../../gateway/src/protection/authorize-operation';
import { checkOperationLimits } from '../../../gateway/src/protection/operation-limits';
import { DEFAULT_LIST_SIZE, operationCost } from '../../../gateway/src/protection/query-cost';
import { operationDepth } from '../../../gateway/src/protection/query-depth';
import { RateLimiter } from '../../../gateway/src/protection/rate-limiter';

const schema = buildSchema(`
  type Camera { id: ID! name: String! tags: [String!]! events(first: Int): [Event!]! }
  type Event { id: ID! camera: Camera! }
  type Query { cameras(first: Int): [Camera!]! camera(id: ID!): Camera recent(limit: Int = 50): [Event!]! }
`);
const op = (query: string) => {
  const document = parse(query);
  return { document, operation: document.definitions[0] as OperationDefinitionNode };
};

describe('operation limits', () => {
  it('measures depth through fragments and ignores introspection', () => {
    const { document, operation } = op('{ camera(id: "1") { ...F } } fragment F on Camera { events { camera { id } } }');
    expect(operationDepth(document, operation)).toBe(4);
    const intro = op('{ __schema { types { fields { type { ofType { ofType { name } } } } } } }');
    expect(operationDepth(intro.document, intro.operation)).toBe(0);
  });

  it('multiplies list selections by their page size, or a default', () => {
    const a = op('{ cameras(first: 100) { id events(first: 5) { id } } }');
    expect(operationCost(schema, a.document, a.operation)).toBe(1 + 100 * (1 + 1 + 5 * 1));
    const b = op('query($n: Int) { cameras(first: $n) { id } }');
    expect(operationCost(schema, b.document, b.operation, { n: 7 })).toBe(1 + 7);
    const c = op('{ cameras { id } }');
    expect(operationCost(schema, c.document, c.operation)).toBe(1 + DEFAULT_LIST_SIZE);
  });

  it('counts a page size the same whether it is a literal, a variable or a default', () => {
    const literal = op('{ cameras(first: 500) { id } }');
    const expected = operationCost(schema, literal.document, literal.operation);
    expect(expected).toBe(1 + 500);
    const variable = op('query($n: Int) { cameras(first: $n) { id } }');
    expect(operationCost(schema, variable.document, variable.operation, { n: 500 })).toBe(expected);
    const variableDefault = op('query($n: Int = 500) { cameras(first: $n) { id } }');
    expect(operationCost(schema, variableDefault.document, variableDefault.operation, {})).toBe(expected);
    // A sent value wins over the default, as in execution.
    expect(operationCost(schema, variableDefault.document, variableDefault.operation, { n: 2 })).toBe(1 + 2);
    const nonNull = op('query($n: Int! = 500) { cameras(first: $n) { id } }');
    expect(operationCost(schema, nonNull.document, nonNull.operation)).toBe(expected);
    // Deeper in the selection too.
    const nested = op('query($n: Int = 500) { camera(id: "1") { events(first: $n) { id } } }');
    expect(operationCost(schema, nested.document, nested.operation, {})).toBe(1 + 1 + 500);
    // The argument's own default in the schema counts too.
    const argumentDefault = op('{ recent { id } }');
    expect(operationCost(schema, argumentDefault.document, argumentDefault.operation)).toBe(1 + 50);
    const unset = op('query($n: Int = 3) { recent(limit: $n) { id } }');
    expect(operationCost(schema, unset.document, unset.operation, {})).toBe(1 + 3);
  });

  it('refuses an over-limit operation whose size is a variable default', () => {
    const { document, operation } = op('query($n: Int = 100000) { cameras(first: $n) { id } }');
    const [error] = checkOperationLimits({ maxDepth: 10, maxCost: 1000 }, schema, document, operation, {});
    expect(error?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', cost: 100001, maxCost: 1000 });
  });

  it("does not hold the gateway's own operations, admitted when the client subscribed, to the per-request cost", async () => {
    const plugin = authorizationPlugin({ maxDepth: 10, maxCost: 100 });
    const run = async (query: string, contextValue: GatewayContext) => {
      const { document, operation } = op(query);
      // Only what the plugin reads of Apollo Server's request context is filled in.
      const hooks = await plugin.requestDidStart?.({ contextValue } as never);
      await hooks?.didResolveOperation?.({ schema, document, operation, request: { variables: {} }, contextValue } as never);
    };
    const identity = { subject: 's', role: 'viewer' as const };
    const costly = '{ cameras(first: 1000) { id } }';
    await expect(run(costly, { identity, correlationId: 'c' })).rejects.toMatchObject({ extensions: { code: 'LIMIT_EXCEEDED', maxCost: 100 } });
    await expect(run(costly, { identity, correlationId: 'c', limitsChecked: true })).resolves.toBeUndefined();
    // Depth is still checked.
    const deep = '{ camera(id: "1") { events { camera { events { camera { events { camera { events { camera { events { id } } } } } } } } } } }';
    await expect(run(deep, { identity, correlationId: 'c', limitsChecked: true })).rejects.toMatchObject({
      extensions: { code: 'LIMIT_EXCEEDED', maxDepth: 10 },
    });
  });

  it('reports the figures of a refused operation', () => {
    const { document, operation } = op('{ cameras(first: 100000) { id } }');
    const [error] = checkOperationLimits({ maxDepth: 10, maxCost: 1000 }, schema, document, operation, {});
    expect(error?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', cost: 100001, maxCost: 1000 });
    expect(checkOperationLimits({ maxDepth: 1, maxCost: 1e9 }, schema, document, operation, {})[0]?.extensions).toMatchObject({ depth: 2, maxDepth: 1 });
  });
});

describe('per-identity rate limit', () => {
  it('allows a burst, then refills at the rate, per identity, and says when to retry', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 3, () => now);
    expect([1, 2, 3].map(() => limiter.take('a').allowed)).toEqual([true, true, true]);
    expect(limiter.take('a')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.take('b').allowed).toBe(true);
    now += 500;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
  });

  it('keeps memory bounded however many identities show up', () => {
    let now = 0;
    const limiter = new RateLimiter(10, 10, () => now, 1000);
    for (let i = 0; i < 50000; i++) {
      now += 1;
      limiter.take(`id-${i}`);
    }
    expect(limiter.size).toBeLessThanOrEqual(1000);
  });
});

describe('authorizeOperation: one check for HTTP, graphql-ws and the gateway executions', () => {
  const api = buildSchema(`
    type Event { id: ID! camera: Event }
    type Query { events(first: Int): [Event!]! }
    type Mutation { recordEvents(count: Int): [Event!]! registerCamera(name: String): ID }
  `);
  const limits = { maxDepth: 3, maxCost: 1000 };
  const resolved = (query: string, variables: Record<string, unknown> = {}) => ({ schema: api, ...op(query), variables });
  const viewer = { subject: 'v', role: 'viewer' as const };
  const operator = { subject: 'o', role: 'operator' as const };

  it('refuses a root field above the role, also through a fragment, with FORBIDDEN', () => {
    expect(authorizeOperation(viewer, resolved('{ events(first: 5) { id } }'), limits)).toBeUndefined();
    expect(authorizeOperation(viewer, resolved('mutation { recordEvents(count: 1) { id } }'), limits)?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const spread = authorizeOperation(operator, resolved('mutation { ...M } fragment M on Mutation { registerCamera(name: "x") }'), limits);
    expect(spread?.message).toBe('Mutation.registerCamera needs role admin');
    expect(authorizeOperation(operator, resolved('mutation { recordEvents(count: 1) { id } }'), limits)).toBeUndefined();
  });

  it('checks the role matrix before the limits, and the cost only when the operation was not admitted already', () => {
    const deep = 'mutation { recordEvents(count: 1) { camera { camera { camera { id } } } } }';
    expect(authorizeOperation(viewer, resolved(deep), limits)?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(authorizeOperation(operator, resolved(deep), limits)?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', maxDepth: 3 });
    const costly = resolved('query($n: Int) { events(first: $n) { id } }', { n: 5000 });
    expect(authorizeOperation(viewer, costly, limits)?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', cost: 5001, maxCost: 1000 });
    expect(authorizeOperation(viewer, costly, limits, true)).toBeUndefined();
    expect(authorizeOperation(operator, resolved(deep), limits, true)?.extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', maxDepth: 3 });
  });
});

describe('requestAdmission: the rate limit at the door', () => {
  it('refuses with RATE_LIMITED and retryAfter on both transports, 429 and Retry-After over HTTP, and counts each refusal', () => {
    let refused = 0;
    const admit = requestAdmission(new RateLimiter(1, 1, () => 0), () => void refused++);
    expect(admit('a', 'http')).toBeUndefined();
    const overHttp = admit('a', 'http');
    expect(overHttp?.message).toBe('rate limit exceeded for a: retry in 1 s');
    expect(overHttp?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 1, http: { status: 429, headers: new Map([['retry-after', '1']]) } });
    const overWs = admit('a', 'graphql-ws');
    expect(overWs?.message).toBe('rate limit exceeded for a: retry in 1 s');
    expect(overWs?.extensions).toEqual({ code: 'RATE_LIMITED', retryAfter: 1 });
    expect(admit('b', 'graphql-ws')).toBeUndefined();
    expect(refused).toBe(2);
  });
});
