import type { SubgraphSource } from './supergraph';

export interface SubgraphHealthOptions {
  /** How long one subgraph's /health may take before it counts as unreachable. */
  timeoutMs?: number;
  /** How long one round of checks answers every /health of the router, so they do not multiply. */
  cacheMs?: number;
}

/**
 * Whether every subgraph of the supergraph answers its own `/health` (at the origin of its
 * routing URL). Subgraphs are asked in parallel, each with a short timeout; one round serves
 * every check made within `cacheMs` of it, concurrent ones included.
 */
export class SubgraphHealth {
  private readonly targets: { name: string; url: string }[];
  private readonly timeoutMs: number;
  private readonly cacheMs: number;
  private last: { at: number; problems: Promise<string[]> } | undefined;

  constructor(subgraphs: Pick<SubgraphSource, 'name' | 'url'>[], { timeoutMs = 1_000, cacheMs = 2_000 }: SubgraphHealthOptions = {}) {
    this.targets = subgraphs.map(({ name, url }) => ({ name, url: `${new URL(url).origin}/health` }));
    this.timeoutMs = timeoutMs;
    this.cacheMs = cacheMs;
  }

  /** Resolves when every subgraph is healthy; throws naming each that is not. */
  async check(): Promise<void> {
    const now = performance.now();
    if (!this.last || now - this.last.at >= this.cacheMs) this.last = { at: now, problems: this.probeAll() };
    const problems = await this.last.problems;
    if (problems.length > 0) throw new Error(problems.join(', '));
  }

  private async probeAll(): Promise<string[]> {
    const answers = await Promise.all(this.targets.map((target) => this.probe(target)));
    return answers.filter((problem): problem is string => problem !== null);
  }

  private async probe({ name, url }: { name: string; url: string }): Promise<string | null> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) });
      await response.arrayBuffer();
      return response.ok ? null : `${name} unhealthy (${response.status})`;
    } catch (error) {
      // The reason, briefly: ECONNREFUSED, TimeoutError...
      const { name: kind, cause } = error as Error & { cause?: { code?: string } };
      return `${name} unreachable (${cause?.code ?? kind})`;
    }
  }
}
