/** Where the admin domain announces a change of an agent's allow-list (the message: the agent's id). */
export const AGENT_BRANDS_CHANGED_CHANNEL = 'rgb:agent-brands:changed';
