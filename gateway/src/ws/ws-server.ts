import type http from 'node:http';
import {
  GraphQLError,
  NoSchemaIntrospectionCustomRule,
  getOperationAST,
  parse,
  print,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type FormattedExecutionResult,
  type GraphQLSchema,
} from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Identity, RequestContext } from '../../../lib/auth/identity';
import { CORRELATION_HEADER } from '../../../lib/auth/internal-token';
import { AppError } from '../../../lib/errors/app-error';
import { toGraphQLError } from '../../../lib/graphql/errors';
import type { Logger } from '../../../lib/logging/logger';
import type { TokenVerifier } from '../auth/user-token';
import { authorizeOperation, type RequestAdmission } from '../protection/authorize-operation';
import type { OperationLimits } from '../protection/operation-limits';
import type { CapRefusal, ConnectionSubscriptions, SubscriptionCaps } from '../protection/subscription-caps';
import { correlationIdOf } from '../context/gateway-context';
import type { GatewayExecutor } from '../context/gateway-executor';
import { readSubscriptionRequest } from '../subscriptions/inner-query';
import { batchWrites } from '../subscriptions/frame-writer';
import type { SubscriptionContext, SubscriptionKind } from '../subscriptions/subscription-kind';

export interface WsServerOptions {
  httpServer: http.Server;
  path: string;
  /** The current subscription schema (API schema + Subscription); undefined until the supergraph loaded. */
  schema: () => GraphQLSchema | undefined;
  verifyToken: TokenVerifier;
  kinds: Readonly<Record<string, SubscriptionKind>>;
  executor: GatewayExecutor;
  limits: OperationLimits;
  admit: RequestAdmission;
  subscriptionCaps: SubscriptionCaps;
  production: boolean;
  connectionInitTimeoutMs: number;
  maxPayloadBytes: number;
  logger: Logger;
}

type Extra = {
  socket: WebSocket;
  request: http.IncomingMessage;
  identity?: Identity;
  correlationId?: string;
  expiry?: NodeJS.Timeout;
  /** The connection's active subscriptions, counted against the caps. */
  subscriptions?: ConnectionSubscriptions;
};

const overCap = ({ scope, max }: CapRefusal): GraphQLError =>
  new GraphQLError(
    scope === 'connection' ? `too many subscriptions on this connection (at most ${max})` : `too many subscriptions for this identity (at most ${max})`,
    {
      extensions: { code: 'LIMIT_EXCEEDED', scope, maxSubscriptions: max },
    },
  );

const errorsOf = (error: unknown): GraphQLError[] => [
  error instanceof AppError ? toGraphQLError(error) : error instanceof GraphQLError ? error : new GraphQLError((error as Error).message),
];

/**
 * graphql-ws on the gateway's HTTP server and path. The token comes in `connectionParams`
 * (refused with 4401, or 4403 without a role) and is honoured until it expires; every operation
 * passes the same checks as over HTTP (the rate limit at the door, validation, then
 * authorizeOperation: role matrix, depth and cost). Active
 * subscriptions are capped per connection and per identity: one more gets an `error` message
 * (LIMIT_EXCEEDED) for its id, and the others carry on.
 */
export function startWsServer(options: WsServerOptions): { close(): Promise<void> } {
  const { logger } = options;
  const wsServer = new WebSocketServer({ server: options.httpServer, path: options.path, maxPayload: options.maxPayloadBytes });
  wsServer.on('connection', batchWrites);
  const rules = options.production ? [...specifiedRules, NoSchemaIntrospectionCustomRule] : specifiedRules;

  const cleanup = useServer<Record<string, unknown> | undefined, Extra>(
    {
      connectionInitWaitTimeout: options.connectionInitTimeoutMs,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const raw = params.authorization ?? params.Authorization;
        const authorization = typeof raw === 'string' ? raw : undefined;
        let expiresAt: number;
        try {
          ({ identity: ctx.extra.identity, expiresAt } = await options.verifyToken(authorization));
        } catch (error) {
          const forbidden = error instanceof AppError && error.code === 'FORBIDDEN';
          ctx.extra.socket.close(forbidden ? CloseCode.Forbidden : CloseCode.Unauthorized, forbidden ? 'Forbidden' : 'Unauthorized');
          return false;
        }
        ctx.extra.correlationId = correlationIdOf(ctx.extra.request.headers[CORRELATION_HEADER]);
        ctx.extra.subscriptions = options.subscriptionCaps.connection(ctx.extra.identity.subject);
        const socket = ctx.extra.socket;
        // Capped: setTimeout overflows past ~24.8 days; a connection with a longer token is closed then and reconnects.
        ctx.extra.expiry = setTimeout(() => socket.close(CloseCode.Unauthorized, 'token expired'), Math.min(expiresAt - Date.now(), 2 ** 31 - 1));
        ctx.extra.expiry.unref();
        return true;
      },
      onClose: (ctx) => {
        if (ctx.extra.expiry) clearTimeout(ctx.extra.expiry);
        ctx.extra.subscriptions?.releaseAll();
      },
      // graphql-ws hands the subscribe message's payload object to both hooks: the place it took is freed.
      onComplete: (ctx, _id, payload) => {
        ctx.extra.subscriptions?.release(payload);
      },
      onSubscribe: (ctx, id, payload) => {
        const identity = ctx.extra.identity;
        if (!identity) return [toGraphQLError(new AppError('UNAUTHENTICATED', 'not authenticated'))];
        const overRate = options.admit(identity.subject, 'graphql-ws');
        if (overRate) return [overRate];
        const schema = options.schema();
        if (!schema) return [toGraphQLError(new AppError('UNAVAILABLE', 'the supergraph is not loaded yet'))];
        let document: DocumentNode;
        try {
          document = parse(payload.query);
        } catch (error) {
          return errorsOf(error);
        }
        const invalid = validate(schema, document, rules);
        if (invalid.length > 0) return invalid;
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Unable to identify operation')];
        const variables = payload.variables ?? {};
        const refusal = authorizeOperation(identity, { schema, document, operation, variables }, options.limits);
        if (refusal) return [refusal];
        if (operation.operation === 'subscription') {
          const capped = ctx.extra.subscriptions?.admit(payload);
          if (capped) return [overCap(capped)];
        }
        const contextValue: SubscriptionContext = { identity, correlationId: `${ctx.extra.correlationId ?? 'ws'}:${id}` };
        // Subscriptions whose frames the gateway writes itself (frame-writer.ts) need the socket and id.
        if (operation.operation === 'subscription') contextValue.channel = { socket: ctx.extra.socket, id };
        logger.info(
          { correlationId: contextValue.correlationId, subject: identity.subject, operation: payload.operationName ?? 'anonymous', type: operation.operation },
          'graphql-ws operation',
        );
        const args: ExecutionArgs = { schema, document, operationName: payload.operationName ?? null, variableValues: variables, contextValue };
        return args;
      },
      subscribe: async (args) => {
        const context = args.contextValue as SubscriptionContext;
        try {
          const request = readSubscriptionRequest(args.schema, args.document, args.operationName, args.variableValues);
          const kind = options.kinds[request.field.name.value];
          if (!kind) throw new AppError('BAD_USER_INPUT', `unknown subscription ${request.field.name.value}`);
          // Formatted results: onNext below sends them as they are.
          return (await kind.subscribe(request, context)) as unknown as AsyncIterableIterator<never>;
        } catch (error) {
          return { errors: errorsOf(error) };
        }
      },
      // Queries and mutations over the socket take the same road as over HTTP.
      execute: async (args) =>
        (await options.executor(
          print(args.document),
          (args.variableValues ?? {}) as Record<string, unknown>,
          args.contextValue as RequestContext,
          args.operationName,
        )) as never,
      // Payloads are already formatted by the gateway's executor; send them unchanged.
      onNext: (_ctx, _id, _payload, _args, result) => result as FormattedExecutionResult,
    },
    wsServer,
  );

  return {
    close: async () => {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
