import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerDefinition, type WorkerLoop } from '@rgb/kit';
import { Counter, Gauge } from 'prom-client';
import { CallExecutor, calledServices } from './calls';
import { type AgentWorkerConfig, loadAgentWorkerConfig } from './config';
import { agentDomain } from './domain';
import { moneySettlers } from './money-settlers';
import { projectRegistration } from './projection';

export { loadAgentWorkerConfig };

/** The consumer group (and inbox consumer) that projects the player stream's registrations. */
export const REFERRALS_GROUP = 'agent.referrals';

/**
 * agent_worker: projects who referred each player from the player stream; performs the calls of
 * agents' money (wallet, promotion) a request left unanswered, until answered (a call refused
 * unexpectedly is FAILED and the worker unhealthy until staff retry it); publishes the agent outbox.
 */
export function agentWorker(config: AgentWorkerConfig): WorkerDefinition {
  return {
    name: agentDomain.worker.name,
    loops({ prisma, redis, blockingRedis, metrics, log, serviceTokens, closeWith }) {
      const clients = closeWith(calledServices(config, serviceTokens, 'agent_worker'));
      const failedCalls = new Counter({
        name: 'agent_outgoing_calls_failed_total',
        help: 'Calls of agents money (wallet, promotion) that became FAILED: refused unexpectedly',
        registers: [metrics.registry],
      });
      const retriedCalls = new Counter({
        name: 'agent_outgoing_call_retries_total',
        help: 'Attempts of calls of agents money that got no answer (timeout, 5xx, unreachable): each is tried again',
        registers: [metrics.registry],
      });
      new Gauge({
        name: 'agent_outgoing_call_oldest_pending_seconds',
        help: 'Age of the oldest PENDING call of agents money (0 with none): a call never answered stays PENDING',
        registers: [metrics.registry],
        collect: async function () {
          const [oldest] = await prisma.$queryRaw<{ seconds: number }[]>`
            SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS seconds FROM agent.outgoing_call WHERE status = 'PENDING'`;
          this.set(oldest?.seconds ?? 0);
        },
      });
      new Gauge({
        name: 'agent_outgoing_calls',
        help: 'Calls of agents money not settled, by status (PENDING on their way, FAILED for staff)',
        labelNames: ['status'],
        registers: [metrics.registry],
        collect: async function () {
          for (const status of ['PENDING', 'FAILED'] as const) this.set({ status }, await prisma.agentOutgoingCall.count({ where: { status } }));
        },
      });
      const calls = new CallExecutor({
        prisma,
        ...clients,
        log,
        retryMs: config.CALL_RETRY_MS,
        settlers: moneySettlers,
        onFailed: () => failedCalls.inc(),
        onFault: () => retriedCalls.inc(),
      });
      const loops: WorkerLoop[] = [
        new StreamConsumer({
          group: REFERRALS_GROUP,
          stream: STREAMS.player,
          inbox: agentDomain.inbox,
          prisma,
          redis,
          blockingRedis: blockingRedis(),
          metrics,
          log,
          handlers: { PLAYER_REGISTERED: projectRegistration },
        }),
        {
          name: 'pending agent calls -> wallet, promotion',
          idleDelayMs: 1_000,
          async tick() {
            const { performed, pending } = await calls.performDue();
            return { worked: performed, pending };
          },
        },
        {
          // Apart from the loop above, which keeps its pace: this one fails, and the worker is unhealthy, while any call is FAILED.
          name: 'FAILED agent calls (staff retry them)',
          idleDelayMs: 1_000,
          async tick() {
            await calls.failedCalls();
            return { worked: 0, pending: false };
          },
        },
      ];
      if (config.ENABLE_OUTBOX_POLLER) {
        loops.push(new OutboxPublisher({ prisma, redis, metrics, table: agentDomain.outbox, stream: STREAMS[agentDomain.produces] }));
      }
      return loops;
    },
  };
}

export const startAgentWorker = (config: AgentWorkerConfig) => startWorker(agentWorker(config), config);
