import type { Metrics } from '@rgb/kit';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Settlements not yet confirmed: still being retried, and failed past the attempt limit. */
export interface OpenSettlements {
  pending: number;
  failed: number;
}

/** The RGS's own metrics, beside the kit's HTTP histogram, on the process's registry. */
export class RgsMetrics {
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly betsPlaced: Counter;
  readonly debitCalls: Counter;
  readonly debitFailures: Counter<'reason'>;
  readonly settlementSeconds: Histogram;
  readonly settlementsFailed: Counter<'action'>;

  constructor(metrics: Metrics, openSettlements: () => Promise<OpenSettlements>) {
    const registers = [metrics.registry];
    this.httpRequests = new Counter({
      name: 'rgs_http_requests_total',
      help: 'RGS API requests by route template (never the raw URL), method and status',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    });
    this.betsPlaced = new Counter({ name: 'rgs_bets_placed_total', help: 'Bets recorded (past validation and compliance), their debit then sent', registers });
    this.debitCalls = new Counter({ name: 'rgs_wallet_debit_calls_total', help: 'Debits (bet callbacks) sent to the platform', registers });
    this.debitFailures = new Counter({
      name: 'rgs_wallet_debit_failures_total',
      help: 'Debits the platform refused (reason refused) or did not answer (reason unavailable, then rolled back)',
      labelNames: ['reason'] as const,
      registers,
    });
    this.settlementSeconds = new Histogram({
      name: 'rgs_bet_settlement_seconds',
      help: 'From a bet to the platform confirming its win (zero for a lost round)',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 120, 600],
      registers,
    });
    this.settlementsFailed = new Counter({
      name: 'rgs_settlements_failed_total',
      help: 'Settlements given up after the attempt limit, by action (win, rollback): each needs a person',
      labelNames: ['action'] as const,
      registers,
    });
    // Read from the shared table on each scrape, so every instance reports the same backlog.
    new Gauge({
      name: 'rgs_pending_settlements',
      help: 'Wins and rollbacks the platform has not confirmed yet, still being retried',
      registers,
      async collect() {
        this.set((await openSettlements()).pending);
      },
    });
    new Gauge({
      name: 'rgs_failed_settlements',
      help: 'Wins and rollbacks given up after the attempt limit and not resolved since',
      registers,
      async collect() {
        this.set((await openSettlements()).failed);
      },
    });
  }
}

/** The webhooks not delivered yet, every instance's: events waiting in their lanes and redeliveries asked for, and the oldest's age. */
export interface WebhookBacklog {
  pending: number;
  lagSeconds: number;
}

/** The metrics of the event log's two ways out: webhooks and GET /stream. */
export class EventMetrics {
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly streamsCut: Counter;

  constructor(metrics: Metrics, backlog: () => Promise<WebhookBacklog>, openStreams: () => number) {
    const registers = [metrics.registry];
    this.webhookDeliveries = new Counter({
      name: 'rgs_webhook_deliveries_total',
      help: 'Webhook attempts by outcome: delivered (a 2xx), retry (failed, tried again after a backoff), failed (given up after the attempt limit)',
      labelNames: ['outcome'] as const,
      registers,
    });
    this.streamsCut = new Counter({ name: 'rgs_stream_clients_cut_total', help: 'GET /stream clients cut for not reading what was sent to them', registers });
    // Read from the shared tables on each scrape, so every instance reports the same backlog.
    new Gauge({
      name: 'rgs_webhooks_pending',
      help: 'Events not yet delivered to their operator webhook (waiting in sequence, being retried, or redeliveries asked for)',
      registers,
      async collect() {
        this.set((await backlog()).pending);
      },
    });
    new Gauge({
      name: 'rgs_webhook_lag_seconds',
      help: 'Age of the oldest event waiting for its webhook (0 when none waits)',
      registers,
      async collect() {
        this.set((await backlog()).lagSeconds);
      },
    });
    new Gauge({
      name: 'rgs_stream_clients',
      help: 'GET /stream connections open on this instance',
      registers,
      collect() {
        this.set(openStreams());
      },
    });
  }
}
