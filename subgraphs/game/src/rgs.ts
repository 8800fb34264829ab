import { conflict, DomainError, ErrorCode, forbidden, OPERATOR_KEY_HEADER, type RgsLaunchRequest, type RgsLaunchResponse, rgsLaunchResponse, rgsRefusal } from '@rgb/contracts';
import { type CallContext, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_RESPONSE_TIMEOUT_MS, type Logger } from '@rgb/kit';
import { Agent, request } from 'undici';

/** The RGS refusals a launch passes on to the player as the platform's own codes. */
const REFUSALS: Record<string, (message: string) => DomainError> = {
  JURISDICTION_BLOCKED: forbidden,
  CURRENCY_MISMATCH: conflict,
};

/**
 * The platform as an operator of its own RGS: opens RGS sessions with the platform's
 * X-Operator-Key (RGS_OPERATOR_KEY), over a keep-alive pool with connect and response timeouts.
 */
export class RgsLauncher {
  private readonly agent = new Agent({
    keepAliveTimeout: 30_000,
    connect: { timeout: DEFAULT_CONNECT_TIMEOUT_MS },
    headersTimeout: DEFAULT_RESPONSE_TIMEOUT_MS,
    bodyTimeout: DEFAULT_RESPONSE_TIMEOUT_MS,
  });

  constructor(private readonly options: { baseUrl: string; operatorKey: string; log: Logger }) {}

  /** The RGS's session for the player; SERVICE_UNAVAILABLE when the RGS gives no answer its contract allows. */
  async launch(launch: RgsLaunchRequest, context: CallContext): Promise<RgsLaunchResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json', [OPERATOR_KEY_HEADER]: this.options.operatorKey };
    if (context.requestId) headers['x-request-id'] = context.requestId;
    if (context.traceparent) headers.traceparent = context.traceparent;
    let status: number;
    let body: unknown;
    try {
      const response = await request(`${this.options.baseUrl}/sessions/launch`, { method: 'POST', dispatcher: this.agent, headers, body: JSON.stringify(launch) });
      status = response.statusCode;
      body = await response.body.json();
    } catch (error) {
      return this.unavailable('gave no answer', error);
    }
    if (status === 200) {
      const parsed = rgsLaunchResponse.safeParse(body);
      if (parsed.success) return parsed.data;
      return this.unavailable('answered a launch its contract refuses', parsed.error);
    }
    const refused = rgsRefusal.safeParse(body);
    const toDomain = refused.success ? REFUSALS[refused.data.error.code] : undefined;
    if (refused.success && toDomain) throw toDomain(refused.data.error.message);
    // Anything else (a key the RGS does not know, a game it lacks) is the platform's fault, not the player's.
    throw new Error(`the RGS refused the launch with ${status}: ${JSON.stringify(body).slice(0, 300)}`);
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private unavailable(what: string, error: unknown): never {
    this.options.log.error({ err: error }, `the RGS ${what}`);
    throw new DomainError(ErrorCode.SERVICE_UNAVAILABLE, 'the game server is unavailable; try again shortly');
  }
}
