import type { TypedEnvelope } from '@rgb/contracts';
import type { OutboxTransaction } from '@rgb/events';

/**
 * Records who referred a player, from its PLAYER_REGISTERED; a registration without an agent is
 * none of this domain's. The consumer's inbox applies each event once; a player is registered
 * once, so a second row for it is ignored too.
 */
export async function projectRegistration(tx: OutboxTransaction, event: TypedEnvelope<'PLAYER_REGISTERED'>): Promise<void> {
  const { player_id, agent_id, registered_at } = event.payload;
  if (!agent_id) return;
  await tx.agentPlayer.createMany({
    data: [{ playerId: player_id, brandId: event.brand_id, agentId: agent_id, registeredAt: new Date(registered_at) }],
    skipDuplicates: true,
  });
}
