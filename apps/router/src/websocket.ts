import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ErrorCode } from '@rgb/contracts';
import { ANY_STAFF, type ContextTokens, type Logger, SESSION_REVOKED_CHANNEL, type SessionRevocations } from '@rgb/kit';
import { type ExecutionArgs, getOperationAST, GraphQLError, parse, type ParseOptions, specifiedRules, validate, type ValidationRule } from 'graphql';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';
import { type Edge, type EdgeOptions, EdgeRefusal, resolveEdge } from './edge';
import { type ClientStream, connectionTransport } from './live-client';
import type { RateLimiter } from './rate-limit';
import { admitStaffCaller } from './staff-access';
import { type ClientContext, scopeOf, type SharedSubscriptions } from './shared-subscriptions';

/** How often open connections' sessions are checked against the revocations, in case an announcement was missed. */
const REVOCATION_SWEEP_MS = 30_000;

/** The close code a refusal of the edge gets (graphql-ws keeps 4400-4499 for such answers). */
function closeCodeOf(refusal: EdgeRefusal): number {
  if (refusal.status === 401) return CloseCode.Unauthorized;
  if (refusal.status === 429) return CloseCode.TooManyInitialisationRequests;
  if (refusal.status === 403 || refusal.status === 421) return CloseCode.Forbidden;
  return CloseCode.BadRequest;
}

interface Connection {
  socket: WebSocket;
  /** Its TCP connection's backpressure, which its subscriptions' results heed. */
  transport: ClientStream['transport'];
  edge: Edge & { caller: NonNullable<Edge['caller']> };
  expiry: NodeJS.Timeout;
}

export interface WebSocketOptions {
  server: Server;
  subscriptions: SharedSubscriptions;
  edgeOptions: EdgeOptions;
  rateLimiter: RateLimiter;
  contextTokens: ContextTokens;
  revocations: SessionRevocations;
  /** A connection for pub/sub only (revocation announcements); closed with the server. */
  subscriber: Redis;
  /** The operation limits of HTTP GraphQL: tokens while parsing, then depth, aliases, cost... */
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  log: Logger;
}

/**
 * graphql-ws on the router's `/graphql` (the port of HTTP GraphQL), for subscriptions only. The
 * edge is the HTTP one: the brand from the upgrade request's `Host`, the caller from the bearer
 * token in the `connection_init` payload (`{"authorization": "Bearer <token>"}`), brand
 * enforcement and the rate limit; a connection without a token is closed with 4401, a refused
 * one with 4401 / 4403 / 4429. A connection ends (4401) when its token expires or its session
 * is revoked (announced on Redis, and swept every 30 s in case an announcement was missed), and a
 * staff member's when their access changes (4403, or 4401 for a disabled account).
 */
export function serveWebSockets(options: WebSocketOptions): { close(): Promise<void> } {
  const { subscriptions, edgeOptions, rateLimiter, contextTokens, revocations, subscriber, log } = options;
  const rules = [...specifiedRules, ...options.validationRules];
  const bySession = new Map<string, Set<Connection>>();
  const connections = new WeakMap<WebSocket, Connection>();

  const forget = (connection: Connection) => {
    clearTimeout(connection.expiry);
    staffConnections.delete(connection);
    const sessions = bySession.get(connection.edge.caller.sessionId);
    sessions?.delete(connection);
    if (sessions?.size === 0) bySession.delete(connection.edge.caller.sessionId);
  };
  const endSession = (sessionId: string) => {
    for (const connection of bySession.get(sessionId) ?? []) connection.socket.close(CloseCode.Unauthorized, 'this session has ended');
  };
  subscriber.on('message', (_channel: string, sessionId: string) => endSession(sessionId));
  // A staff member's connections live on the access they were admitted with: when it may have
  // changed, each is admitted again, and one refused or holding other permissions now is closed
  // (the client connects again and is admitted with what it holds now).
  const staffConnections = new Set<Connection>();
  const readmit = (connection: Connection) => {
    const { caller, brand } = connection.edge;
    admitStaffCaller(edgeOptions.staffAccess, caller, brand.id, log).then(
      (now) => {
        if (JSON.stringify(now.access) !== JSON.stringify(caller.access)) connection.socket.close(CloseCode.Forbidden, 'staff access changed; connect again');
      },
      (error: unknown) => {
        if (!(error instanceof EdgeRefusal)) throw error;
        // While access cannot be checked (503) the connection keeps what it was admitted with.
        if (error.status !== 503) connection.socket.close(closeCodeOf(error), error.message);
      },
    ).catch((error: unknown) => log.error({ err: error }, 'checking a staff connection again failed'));
  };
  edgeOptions.staffAccess.onChange((staffId) => {
    for (const connection of staffConnections) if (staffId === ANY_STAFF || connection.edge.caller.id === staffId) readmit(connection);
  });
  const subscribed = subscriber.subscribe(SESSION_REVOKED_CHANNEL).catch((error: unknown) => log.error({ err: error }, 'subscribing to session revocations failed'));
  const sweep = setInterval(() => {
    revocations.revokedAmong([...bySession.keys()]).then(
      (revoked) => revoked.forEach(endSession),
      (error: unknown) => log.error({ err: error }, 'checking open connections for revoked sessions failed'),
    );
  }, REVOCATION_SWEEP_MS);
  sweep.unref();

  const sockets = new WebSocketServer({ server: options.server, path: '/graphql' });
  const served = useServer<Record<string, unknown>, { connection: Connection }>(
    {
      schema: () => subscriptions.schema,
      onConnect: async (ctx) => {
        const { socket, request } = ctx.extra;
        const authorization = ctx.connectionParams?.authorization;
        let edge: Edge;
        try {
          edge = await resolveEdge(edgeOptions, request.headers.host, typeof authorization === 'string' ? authorization : undefined, log);
          if (!edge.caller) throw new EdgeRefusal(401, ErrorCode.UNAUTHENTICATED, 'the connection_init payload needs "authorization": "Bearer <token>"');
          const rate = await rateLimiter.check(edge, request.socket.remoteAddress ?? '', log);
          if (!rate.allowed) throw new EdgeRefusal(429, ErrorCode.RATE_LIMITED, `too many requests: retry in ${rate.retryAfterSeconds} s`);
        } catch (error) {
          if (!(error instanceof EdgeRefusal)) throw error;
          socket.close(closeCodeOf(error), error.message);
          return false;
        }
        const caller = edge.caller;
        const connection: Connection = {
          socket,
          transport: connectionTransport(request.socket),
          edge: { ...edge, caller },
          expiry: setTimeout(() => socket.close(CloseCode.Unauthorized, 'the token expired'), Math.max(0, (edge.expiresAt ?? 0) - Date.now())),
        };
        connections.set(socket, connection);
        ctx.extra.connection = connection;
        if (caller.kind === 'staff') staffConnections.add(connection);
        const sessions = bySession.get(caller.sessionId) ?? new Set();
        bySession.set(caller.sessionId, sessions.add(connection));
        return true;
      },
      onSubscribe: async (ctx, id, payload) => {
        let document: ExecutionArgs['document'];
        try {
          document = parse(payload.query, options.parseOptions);
        } catch (error) {
          return [error as GraphQLError];
        }
        const errors = validate(subscriptions.schema, document, rules);
        if (errors.length > 0) return errors;
        if (getOperationAST(document, payload.operationName)?.operation !== 'subscription') {
          return [new GraphQLError('only subscriptions are served over the websocket; send queries and mutations with POST /graphql')];
        }
        const { edge, socket, transport } = ctx.extra.connection!;
        const forwarded = { brand: { id: edge.brand.id, code: edge.brand.code, currency: edge.brand.currency }, caller: edge.caller };
        const requestId = randomUUID();
        const contextValue: ClientContext = {
          requestId,
          brand: edge.brand,
          caller: edge.caller,
          forwarded,
          contextToken: await contextTokens.sign(forwarded),
          scope: scopeOf(edge.brand, edge.caller),
          log: log.child({ request_id: requestId, brand: edge.brand.code }),
          client: { socket, transport, id },
        };
        return { schema: subscriptions.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      // Results are written to the socket by the shared execution, serialized once for all its
      // clients; graphql-ws gets an iterator that only ends (then it sends `complete`).
      subscribe: (args) => subscriptions.join(args) as never,
      onClose: (ctx) => {
        const connection = connections.get(ctx.extra.socket);
        if (connection) forget(connection);
      },
    },
    sockets,
  );

  return {
    async close() {
      clearInterval(sweep);
      await served.dispose();
      await subscriptions.close();
      await subscribed;
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
