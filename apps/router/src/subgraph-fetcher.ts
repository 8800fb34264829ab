import { Agent, request } from 'undici';

/** The slice of a fetch Response that @apollo/gateway's RemoteGraphQLDataSource reads. */
interface SubgraphResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export type SubgraphFetcher = (url: string, init: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<SubgraphResponse>;

/**
 * Subgraph calls through undici's `request` on a keep-alive pool: the same HTTP client that
 * Node's fetch wraps, without the WHATWG stream machinery that costs the router a fifth of its
 * CPU per request (measured with bench:router and --cpu-prof).
 */
export function createSubgraphFetcher(): { fetcher: SubgraphFetcher; close(): Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
  return {
    async fetcher(url, init) {
      const response = await request(url, { method: (init.method ?? 'POST') as 'POST', headers: init.headers, body: init.body, dispatcher: agent });
      const text = await response.body.text();
      const header = (name: string) => {
        const value = response.headers[name.toLowerCase()];
        return Array.isArray(value) ? value.join(', ') : (value ?? null);
      };
      return {
        ok: response.statusCode >= 200 && response.statusCode < 300,
        status: response.statusCode,
        statusText: '',
        url,
        headers: { get: header },
        text: async () => text,
        json: async () => JSON.parse(text),
      };
    },
    close: () => agent.close(),
  };
}
