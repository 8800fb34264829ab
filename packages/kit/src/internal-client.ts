import type { TokenService } from '@rgb/auth';
import { Agent, request } from 'undici';

export interface InternalResponse<T> {
  status: number;
  body: T;
}

/**
 * Calls another service's `/internal/*` API: JSON over a keep-alive pool, with a service token
 * signed once and reused for most of its life.
 */
export class InternalClient {
  private readonly agent = new Agent({ keepAliveTimeout: 30_000, connections: 64 });
  private token: { value: string; renewAt: number } | null = null;

  constructor(
    private readonly baseUrl: string,
    private readonly tokens: TokenService,
    private readonly serviceName: string,
  ) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<InternalResponse<T>> {
    const response = await request(`${this.baseUrl}${path}`, {
      method,
      dispatcher: this.agent,
      headers: { authorization: `Bearer ${await this.serviceToken()}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    const text = await response.body.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      throw new Error(`${method} ${path} answered ${response.statusCode} with a body that is not JSON`);
    }
    if (response.statusCode >= 500) throw new Error(`${method} ${path} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    return { status: response.statusCode, body: parsed as T };
  }

  close(): Promise<void> {
    return this.agent.close();
  }

  private async serviceToken(): Promise<string> {
    if (!this.token || Date.now() > this.token.renewAt) {
      this.token = { value: await this.tokens.signService(this.serviceName), renewAt: Date.now() + 120_000 };
    }
    return this.token.value;
  }
}
