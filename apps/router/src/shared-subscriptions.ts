import { randomUUID } from 'node:crypto';
import { getStitchedSchemaFromSupergraphSdl } from '@graphql-tools/federation';
import { ErrorCode } from '@rgb/contracts';
import { CONTEXT_HEADER, type CatalogBrand, type ContextTokens, type ForwardedContext, formatResult, type Logger, type UserCaller } from '@rgb/kit';
import { type ExecutionArgs, type ExecutionResult, type FormattedExecutionResult, type GraphQLSchema, print, subscribe } from 'graphql';
import { type Client, createClient } from 'graphql-ws';
import { Counter, Gauge, type Registry } from 'prom-client';
import WebSocket from 'ws';
import { type ClientStream, LiveClient } from './live-client';

/**
 * The context of a subscription the router runs: who it runs for, and the signed context its
 * fetches to the subgraphs carry (re-signed while the subscription lives).
 */
export interface LiveContext {
  requestId: string;
  brand: CatalogBrand;
  caller: UserCaller;
  forwarded: ForwardedContext;
  contextToken: string;
  /**
   * Callers whose subscriptions may share one execution: staff of a brand holding the same
   * permissions (what they may read is decided from brand and permissions alone), while a player
   * or agent shares with nobody (their data is their own).
   */
  scope: string;
  log: Logger;
}

/** A client's subscription as graphql-ws hands it to `join`: its context, and where its results go. */
export interface ClientContext extends LiveContext {
  client: ClientStream;
}

export function scopeOf(brand: CatalogBrand, caller: UserCaller): string {
  if (caller.kind !== 'staff') return `${brand.id}:${caller.kind}:${caller.id}`;
  const { permissions = [], allBrands = false } = caller.access ?? {};
  return `${brand.id}:staff:${allBrands ? 'all-brands' : 'brand'}:${permissions.join(',')}`;
}

/** How a subscription ends when its source goes away (a subgraph restarting, a dropped upstream socket). */
const SOURCE_GONE = JSON.stringify({
  errors: [{ message: 'the source of this subscription went away; subscribe again', extensions: { code: ErrorCode.SERVICE_UNAVAILABLE } }],
} satisfies FormattedExecutionResult);

/** How open subscriptions end when the supergraph is reloaded: the client subscribes again, to the new one. */
const SUPERGRAPH_RELOADED = JSON.stringify({
  errors: [{ message: 'the supergraph changed; subscribe again', extensions: { code: 'SUPERGRAPH_RELOADED' } }],
} satisfies FormattedExecutionResult);

/** A signed context lives 60 s: a long-lived subscription signs a fresh one this often. */
const RESIGN_MS = 20_000;

/**
 * Clients written per turn of the event loop. A result for 10,000 clients is some 100-300 ms of
 * socket writes here; in turns of 256 the router's other traffic (HTTP requests, provider
 * callbacks, another subscription's results) waits a few milliseconds at a time, not all of it.
 */
const FAN_OUT_TURN = 256;

/**
 * The upstream graphql-ws connections: one per subgraph and scope, opened when its first
 * subscription starts and closed when its last ends, carrying the router's signed context in
 * its `connection_init`. It never reconnects by itself: a lost socket ends its subscriptions,
 * whose clients subscribe again.
 */
class Upstreams {
  private readonly clients = new Map<string, { client: Client; active: number }>();
  readonly opened: Counter<'subgraph'>;

  constructor(
    private readonly contextTokens: ContextTokens,
    registry: Registry,
  ) {
    this.opened = new Counter({
      name: 'live_upstream_subscriptions_opened_total',
      help: 'Subscriptions the router opened on a subgraph, by subgraph',
      labelNames: ['subgraph'] as const,
      registers: [registry],
    });
  }

  subscribe(subgraph: string, endpoint: string, document: ExecutionArgs['document'], variables: Record<string, unknown> | undefined, context: LiveContext) {
    const key = `${subgraph}\n${context.scope}`;
    let upstream = this.clients.get(key);
    if (!upstream) {
      const forwarded = context.forwarded;
      const client = createClient({
        url: endpoint.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 0,
        retryAttempts: 0,
        keepAlive: 10_000,
        connectionParams: async () => ({ [CONTEXT_HEADER]: await this.contextTokens.sign(forwarded) }),
      });
      upstream = { client, active: 0 };
      this.clients.set(key, upstream);
    }
    const opened = upstream;
    opened.active++;
    this.opened.inc({ subgraph });
    const results = opened.client.iterate({ query: print(document), variables });
    let released = false;
    // The scope's last subscription ended: its connection goes (a player's scope may never come back).
    const release = async () => {
      if (released) return;
      released = true;
      if (--opened.active === 0 && this.clients.get(key) === opened) {
        this.clients.delete(key);
        await opened.client.dispose();
      }
    };
    // Not an async generator: its return() would wait for the pending next(), that is, for the subgraph's next event.
    const iterator: AsyncIterableIterator<unknown> = {
      next: async () => {
        try {
          const result = await results.next();
          if (result.done) await release();
          return result;
        } catch (error) {
          await release();
          throw error;
        }
      },
      return: async () => {
        const result = await results.return!();
        await release();
        return result;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  async close(): Promise<void> {
    const open = [...this.clients.values()];
    this.clients.clear();
    for (const { client } of open) await client.dispose();
  }
}

interface Shared {
  key: string;
  readers: Set<LiveClient>;
  /** The latest result, serialized: a reader joining a running subscription starts from it. */
  latest: string | undefined;
  source: AsyncIterator<unknown> | undefined;
  context: LiveContext;
  resign: NodeJS.Timeout;
  stopped: boolean;
}

export interface SharedSubscriptionsOptions {
  supergraphSdl: string;
  contextTokens: ContextTokens;
  registry: Registry;
  log: Logger;
  /** Timeout of each entity fetch a result needs from another subgraph. */
  fetchTimeoutMs: number;
}

/**
 * Subscriptions through the router. The supergraph is made executable with
 * `@graphql-tools/federation` (Apollo's gateway plans but cannot execute subscriptions): the
 * subscription field goes to its subgraph over graphql-ws, and the fields of other subgraphs are
 * fetched over HTTP per event (a failing fetch leaves those fields null with an error, and the
 * stream goes on). Identical subscriptions (same document, variables and scope) share one
 * execution, so one upstream subscription serves any number of clients. Each result is formatted
 * and serialized once per execution and written to every client's socket in one pass (LiveClient;
 * a slow client keeps only its latest), in turns of the event loop, the next result after it.
 */
export class SharedSubscriptions {
  private current: GraphQLSchema;
  private readonly shared = new Map<string, Shared>();
  private readonly upstreams: Upstreams;
  private readonly readerGauge: Gauge;
  private readonly sharedGauge: Gauge;

  constructor(private readonly options: SharedSubscriptionsOptions) {
    this.upstreams = new Upstreams(options.contextTokens, options.registry);
    this.current = this.executable(options.supergraphSdl);
    this.readerGauge = new Gauge({ name: 'live_subscribers', help: 'Client subscriptions open on the router', registers: [options.registry] });
    this.sharedGauge = new Gauge({
      name: 'live_shared_subscriptions',
      help: 'Executions serving the open client subscriptions (one per identical subscription and scope)',
      registers: [options.registry],
    });
  }

  /** The executable supergraph subscriptions are validated against and run on. */
  get schema(): GraphQLSchema {
    return this.current;
  }

  /**
   * Serves `supergraphSdl` from now on. Open subscriptions were planned on the old one: each
   * ends with a `SUPERGRAPH_RELOADED` error, and its client subscribes again.
   */
  async reload(supergraphSdl: string): Promise<void> {
    this.current = this.executable(supergraphSdl);
    this.endAll(SUPERGRAPH_RELOADED);
    // Subgraphs may have moved: upstream connections are opened anew.
    await this.upstreams.close();
  }

  private executable(supergraphSdl: string): GraphQLSchema {
    const { options } = this;
    return getStitchedSchemaFromSupergraphSdl({
      supergraphSdl,
      httpExecutorOpts: {
        timeout: options.fetchTimeoutMs,
        headers: (request) => {
          const context = request?.context as LiveContext | undefined;
          const headers: Record<string, string> = {};
          if (context) {
            headers[CONTEXT_HEADER] = context.contextToken;
            headers['x-request-id'] = context.requestId;
          }
          return headers;
        },
      },
      onSubschemaConfig: (config) => {
        const http = config.executor;
        config.executor = (request) =>
          request.operationType === 'subscription'
            ? (this.upstreams.subscribe(config.name, config.endpoint, request.document, request.variables, request.context as unknown as LiveContext) as never)
            : http(request);
      },
    });
  }

  /** Subscriptions opened on subgraphs since start. */
  get upstreamsOpened(): Counter<'subgraph'> {
    return this.upstreams.opened;
  }

  /**
   * A client's subscription (validated `args`, whose context names the client's socket): its
   * results go to that socket from the execution it shares with identical ones. What graphql-ws
   * gets back only ends when the subscription does.
   */
  join(args: ExecutionArgs): LiveClient {
    const { client, ...context } = args.contextValue as ClientContext;
    const key = JSON.stringify([context.scope, print(args.document), args.operationName ?? null, args.variableValues ?? {}]);
    let shared = this.shared.get(key);
    if (!shared) {
      const own: LiveContext = { ...context, requestId: randomUUID() };
      shared = {
        key,
        readers: new Set(),
        latest: undefined,
        source: undefined,
        context: own,
        stopped: false,
        resign: setInterval(() => {
          this.options.contextTokens.sign(own.forwarded).then(
            (token) => {
              own.contextToken = token;
            },
            (error: unknown) => own.log.error({ err: error }, 'signing a subscription context failed'),
          );
        }, RESIGN_MS),
      };
      this.shared.set(key, shared);
      this.sharedGauge.inc();
      void this.run(shared, { ...args, contextValue: own });
    }
    const joined = shared;
    const reader: LiveClient = new LiveClient(client, () => {
      this.readerGauge.dec();
      joined.readers.delete(reader);
      if (joined.readers.size === 0) this.stop(joined);
    });
    this.readerGauge.inc();
    joined.readers.add(reader);
    if (joined.latest) reader.deliver(joined.latest);
    return reader;
  }

  /** Ends every subscription with `last` (serialized) as its final result (a supergraph reload, a shutdown). */
  endAll(last?: string): void {
    for (const shared of [...this.shared.values()]) this.finish(shared, last);
  }

  async close(): Promise<void> {
    this.endAll();
    await this.upstreams.close();
  }

  private async run(shared: Shared, args: ExecutionArgs): Promise<void> {
    const { log } = shared.context;
    try {
      const result = await subscribe(args);
      if (!(Symbol.asyncIterator in result)) {
        this.finish(shared, JSON.stringify(formatResult(result, log)));
        return;
      }
      shared.source = result[Symbol.asyncIterator]();
      if (shared.stopped) {
        await shared.source.return?.();
        return;
      }
      for (;;) {
        const next = await shared.source.next();
        if (next.done) break;
        const payload = JSON.stringify(formatResult(next.value as ExecutionResult, log));
        shared.latest = payload;
        await fanOut([...shared.readers], payload);
      }
      this.finish(shared);
    } catch (error) {
      if (shared.stopped) return;
      log.warn({ err: error instanceof Error ? error : { message: String((error as { reason?: unknown }).reason ?? error) } }, 'subscription source ended');
      this.finish(shared, SOURCE_GONE);
    }
  }

  /** The last reader left: the execution stops, and with it its upstream subscription. */
  private stop(shared: Shared): void {
    if (shared.stopped) return;
    shared.stopped = true;
    clearInterval(shared.resign);
    if (this.shared.get(shared.key) === shared) {
      this.shared.delete(shared.key);
      this.sharedGauge.dec();
    }
    void shared.source?.return?.();
  }

  private finish(shared: Shared, last?: string): void {
    this.stop(shared);
    for (const reader of [...shared.readers]) reader.end(last);
  }
}

/**
 * Writes `payload` to each of `readers` (those that joined meanwhile start from it as the latest;
 * those that left are skipped), FAN_OUT_TURN of them per turn of the event loop.
 */
async function fanOut(readers: LiveClient[], payload: string): Promise<void> {
  for (let index = 0; index < readers.length; index++) {
    if (index > 0 && index % FAN_OUT_TURN === 0) await new Promise(setImmediate);
    readers[index]!.deliver(payload);
  }
}
