import type { TokenService } from '@rgb/auth';
import { type AnyRoute, describeIssues, REFUSAL_STATUS, serviceUnavailable, type RefusalCode, type RefusalOf, type RouteRequest, type RouteResponse } from '@rgb/contracts';
import { Agent, request as send } from 'undici';
import type { Logger } from './logger';

export interface ServiceClientOptions {
  /** The called service's origin, e.g. `http://127.0.0.1:8011`. */
  baseUrl: string;
  tokens: TokenService;
  /** The calling service: the subject of the service tokens it presents. */
  serviceName: string;
  /** Longest wait for a TCP connection (undici's own default is 10 s). */
  connectTimeoutMs?: number;
  /** Longest wait for the answer's headers, and then between chunks of its body (undici's own default is 300 s). */
  responseTimeoutMs?: number;
  /** Keep-alive connections kept open to the service. */
  connections?: number;
}

/** Per call: the caller's request, so the called service logs under the same request id and trace. */
export interface CallContext {
  requestId?: string;
  traceparent?: string;
}

/** The route's answer, or one of the refusals its contract names. */
export type CallResult<R extends AnyRoute> = { ok: true; value: RouteResponse<R> } | { ok: false; status: number; refusal: RefusalOf<R> };

/** A call that got no answer its contract allows: unreachable, timed out, a 5xx, not JSON, or a body the contract refuses. */
export class ServiceCallError extends Error {
  override readonly name = 'ServiceCallError';
  constructor(
    readonly route: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${route} ${message}`, options);
  }
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
export const DEFAULT_RESPONSE_TIMEOUT_MS = 5_000;
/** Service tokens are signed once and reused for most of their life. */
const TOKEN_REUSE_MS = 120_000;

/**
 * Calls another service's `/internal/*` routes as their contract (packages/contracts) describes
 * them: JSON over a keep-alive pool, a service token, the caller's request id and traceparent,
 * and the answer parsed with the route's schema.
 */
export class ServiceClient {
  private readonly agent: Agent;
  private token: { value: string; renewAt: number } | null = null;

  constructor(private readonly options: ServiceClientOptions) {
    const responseTimeout = options.responseTimeoutMs ?? DEFAULT_RESPONSE_TIMEOUT_MS;
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      connections: options.connections ?? 64,
      connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
      headersTimeout: responseTimeout,
      bodyTimeout: responseTimeout,
    });
  }

  async call<R extends AnyRoute>(route: R, request: RouteRequest<R>, context: CallContext = {}): Promise<CallResult<R>> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.serviceToken()}` };
    if (context.requestId) headers['x-request-id'] = context.requestId;
    if (context.traceparent) headers.traceparent = context.traceparent;
    const { path, fields } = fillPath(route, route.toWire(request) as Record<string, unknown>);
    let url = `${this.options.baseUrl}${path}`;
    let body: string | undefined;
    if (route.method === 'GET') {
      const query = new URLSearchParams();
      for (const [field, value] of Object.entries(fields)) if (value !== undefined && value !== null) query.append(field, String(value));
      if (query.size > 0) url += `?${query}`;
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(fields);
    }

    let status: number;
    let text: string;
    try {
      const response = await send(url, { method: route.method, dispatcher: this.agent, headers, body });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      throw new ServiceCallError(route.name, `failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ServiceCallError(route.name, `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (status === 200) {
      const parsed = route.response.safeParse(json);
      if (!parsed.success) throw new ServiceCallError(route.name, `answered a body its contract refuses: ${describeIssues(parsed.error)}`);
      return { ok: true, value: parsed.data as RouteResponse<R> };
    }
    const refused = status >= 400 && status < 500 ? route.refusal.safeParse(json) : undefined;
    if (refused?.success && REFUSAL_STATUS[refused.data.error.code as RefusalCode] === status) {
      return { ok: false, status, refusal: refused.data.error as RefusalOf<R> };
    }
    throw new ServiceCallError(route.name, `answered ${status}: ${text.slice(0, 200)}`);
  }

  /** The route's answer; a refusal, which the caller does not expect, is thrown. */
  async value<R extends AnyRoute>(route: R, request: RouteRequest<R>, context?: CallContext): Promise<RouteResponse<R>> {
    const result = await this.call(route, request, context);
    if (!result.ok) throw new ServiceCallError(route.name, `refused ${result.refusal.code}: ${result.refusal.message}`);
    return result.value;
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async serviceToken(): Promise<string> {
    if (!this.token || Date.now() > this.token.renewAt) {
      this.token = { value: await this.options.tokens.signService(this.options.serviceName), renewAt: Date.now() + TOKEN_REUSE_MS };
    }
    return this.token.value;
  }
}

/**
 * The route's answer or refusal, for a caller that decides nothing without it: a call that got no
 * answer its contract allows is logged and thrown as SERVICE_UNAVAILABLE `unavailable`.
 */
export async function callOrRefuse<R extends AnyRoute>(
  client: ServiceClient,
  route: R,
  request: RouteRequest<R>,
  { log, ...context }: CallContext & { log: Logger },
  unavailable: string,
): Promise<CallResult<R>> {
  try {
    return await client.call(route, request, context);
  } catch (error) {
    if (!(error instanceof ServiceCallError)) throw error;
    log.warn({ err: error, route: route.name }, 'a service gave no answer its contract allows');
    throw serviceUnavailable(unavailable);
  }
}

/** The route's path with its `:field` segments filled from the request, and the request's other fields. */
function fillPath(route: AnyRoute, wire: Record<string, unknown>): { path: string; fields: Record<string, unknown> } {
  if (route.pathParams.length === 0) return { path: route.path, fields: wire };
  let path = route.path;
  const fields = { ...wire };
  for (const param of route.pathParams) {
    path = path.replace(`:${param}`, encodeURIComponent(String(fields[param])));
    delete fields[param];
  }
  return { path, fields };
}
