/**
 * Every permission a staff role may grant, written once: the router forwards a staff caller's
 * permissions and each domain's staff fields ask for one of these by name. A new staff operation
 * adds its permission here.
 */
export const PERMISSIONS = {
  'players.read': { domain: 'player', description: 'Read a player of the brand' },
  'players.block': { domain: 'player', description: 'Block a player of the brand (ending their sessions) or unblock them' },
  'messages.send': { domain: 'player', description: "Send a message to a player's inbox" },
  'content.read': { domain: 'player', description: "List the brand's notices, FAQ and web rules, drafts included" },
  'content.manage': { domain: 'player', description: "Write, publish, unpublish and delete the brand's notices, FAQ and web rules" },
  'i18n.manage': {
    domain: 'player',
    description: "List, set and delete the brand's translated strings (the platform defaults need every brand in scope)",
  },
  'wallets.read': { domain: 'wallet', description: "Read a player's wallet and balance" },
  'wallets.adjust': { domain: 'wallet', description: "Correct a player's balance, with a reason on the ledger" },
  'deposits.read': { domain: 'wallet', description: "List the brand's deposit requests" },
  'deposits.decide': { domain: 'wallet', description: 'Approve or decline a pending deposit' },
  'withdrawals.read': { domain: 'wallet', description: "List the brand's withdrawal requests" },
  'withdrawals.decide': { domain: 'wallet', description: 'Approve, decline or mark paid a withdrawal' },
  'games.read': { domain: 'game', description: 'See every game, disabled ones too' },
  'games.manage': { domain: 'game', description: 'Switch a game on or off for every brand (needs every brand in scope)' },
  'game_rounds.read': { domain: 'game', description: "Read the brand's game rounds and a player's game history" },
  'providers.read': { domain: 'game', description: 'List the game providers' },
  'providers.manage': {
    domain: 'game',
    description: 'Switch a provider on or off and use its integration routes (needs every brand in scope)',
  },
  'rollings.read': { domain: 'rolling', description: "Read the brand's wagering (rolling) requirements" },
  'rollings.manage': { domain: 'rolling', description: 'Cancel a wagering (rolling) requirement, with a reason' },
  'promotions.read': { domain: 'promotion', description: "Read the brand's coupon campaigns, their codes and redemptions" },
  'promotions.manage': { domain: 'promotion', description: 'Create coupon campaigns, add or generate their codes, and disable them' },
  'agents.read': { domain: 'agent', description: 'List and read agents, their sub-agents, players, balances and requests' },
  'agents.manage': { domain: 'agent', description: "Create agents, change their status, parent, commission and password" },
  'agent_withdrawals.decide': { domain: 'agent', description: "Approve or decline an agent's withdrawal, and mark it paid or its payment declined" },
  'agent_balances.adjust': { domain: 'agent', description: "Correct an agent's balance on the brand, with a reason on the ledger" },
  'agent_brands.manage': { domain: 'admin', description: 'Set which brands an agent may serve (its allow-list)' },
  'recon.read': { domain: 'recon', description: "Read the brand's bank texts, what they were read as, their matches and the review queue" },
  'recon.resolve': { domain: 'recon', description: 'Match a text of the review queue to a deposit request by hand, dismiss it, or process it again' },
  'recon.manage': { domain: 'recon', description: "Register the brand's devices and Telegram chats, and its own bank-text patterns" },
  'brands.read': { domain: 'admin', description: 'List the brands in scope' },
  'brands.manage': { domain: 'admin', description: 'Create brands, change their name, time zone, status, domains and config' },
  'staff.read': { domain: 'admin', description: 'List and read staff accounts' },
  'staff.manage': { domain: 'admin', description: 'Create staff, change their status, brands, password and roles' },
  'roles.read': { domain: 'admin', description: 'List roles and their permissions' },
  'roles.manage': { domain: 'admin', description: 'Create, change and delete roles' },
  'audit.read': { domain: 'admin', description: 'Read the staff audit log' },
  'topinfo.read': { domain: 'admin', description: "Watch the brand's live top-info (pending requests, new players)" },
  'reports.read': { domain: 'admin', description: "Read the brand's daily figures (approved deposits and withdrawals, registrations)" },
} as const satisfies Record<string, { domain: string; description: string }>;

export type Permission = keyof typeof PERMISSIONS;

export const PERMISSION_NAMES = Object.keys(PERMISSIONS) as Permission[];

export function isPermission(name: string): name is Permission {
  return Object.hasOwn(PERMISSIONS, name);
}
