import { STREAMS } from '@rgb/contracts';
import { OutboxPublisher, StreamConsumer } from '@rgb/events';
import { startWorker, type WorkerDefinition, type WorkerLoop } from '@rgb/kit';
import { type AgentWorkerConfig, loadAgentWorkerConfig } from './config';
import { agentDomain } from './domain';
import { projectRegistration } from './projection';

export { loadAgentWorkerConfig };

/** The consumer group (and inbox consumer) that projects the player stream's registrations. */
export const REFERRALS_GROUP = 'agent.referrals';

/** agent_worker: projects who referred each player from the player stream, and publishes the agent outbox. */
export function agentWorker(config: AgentWorkerConfig): WorkerDefinition {
  return {
    name: agentDomain.worker.name,
    loops({ prisma, redis, blockingRedis, metrics, log }) {
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
      ];
      if (config.ENABLE_OUTBOX_POLLER) {
        loops.push(new OutboxPublisher({ prisma, redis, metrics, table: agentDomain.outbox, stream: STREAMS[agentDomain.produces] }));
      }
      return loops;
    },
  };
}

export const startAgentWorker = (config: AgentWorkerConfig) => startWorker(agentWorker(config), config);
