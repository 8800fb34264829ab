import type { Permission } from '@rgb/contracts';

export interface MenuItem {
  key: string;
  label: string;
  path: string;
  parentKey: string | null;
  permission: Permission;
}

/**
 * The back-office navigation, parents before children. A staff member sees the items whose
 * permission they hold; a parent is shown when any of its children is.
 */
export const MENU: readonly MenuItem[] = [
  { key: 'dashboard', label: 'Dashboard', path: '/', parentKey: null, permission: 'topinfo.read' },
  { key: 'players', label: 'Players', path: '/players', parentKey: null, permission: 'players.read' },
  { key: 'payments', label: 'Payments', path: '/payments', parentKey: null, permission: 'deposits.read' },
  { key: 'payments.deposits', label: 'Deposits', path: '/payments/deposits', parentKey: 'payments', permission: 'deposits.read' },
  { key: 'payments.withdrawals', label: 'Withdrawals', path: '/payments/withdrawals', parentKey: 'payments', permission: 'withdrawals.read' },
  { key: 'payments.reconciliation', label: 'Reconciliation', path: '/payments/reconciliation', parentKey: 'payments', permission: 'recon.read' },
  { key: 'games', label: 'Games', path: '/games', parentKey: null, permission: 'games.read' },
  { key: 'games.rounds', label: 'Game rounds', path: '/games/rounds', parentKey: 'games', permission: 'game_rounds.read' },
  { key: 'games.providers', label: 'Providers', path: '/games/providers', parentKey: 'games', permission: 'providers.read' },
  { key: 'rolling', label: 'Rolling', path: '/rolling', parentKey: null, permission: 'rollings.read' },
  { key: 'agents', label: 'Agents', path: '/agents', parentKey: null, permission: 'agents.read' },
  { key: 'reports', label: 'Reports', path: '/reports', parentKey: null, permission: 'reports.read' },
  { key: 'reports.daily', label: 'Daily figures', path: '/reports/daily', parentKey: 'reports', permission: 'reports.read' },
  { key: 'content', label: 'Content', path: '/content', parentKey: null, permission: 'content.read' },
  { key: 'content.notices', label: 'Notices', path: '/content/notices', parentKey: 'content', permission: 'content.read' },
  { key: 'content.faq', label: 'FAQ', path: '/content/faq', parentKey: 'content', permission: 'content.read' },
  { key: 'content.web-rules', label: 'Web rules', path: '/content/web-rules', parentKey: 'content', permission: 'content.read' },
  { key: 'content.translations', label: 'Translations', path: '/content/translations', parentKey: 'content', permission: 'i18n.manage' },
  { key: 'settings', label: 'Settings', path: '/settings', parentKey: null, permission: 'brands.read' },
  { key: 'settings.brands', label: 'Brands', path: '/settings/brands', parentKey: 'settings', permission: 'brands.read' },
  { key: 'settings.staff', label: 'Staff', path: '/settings/staff', parentKey: 'settings', permission: 'staff.read' },
  { key: 'settings.roles', label: 'Roles', path: '/settings/roles', parentKey: 'settings', permission: 'roles.read' },
  { key: 'settings.audit', label: 'Audit log', path: '/settings/audit', parentKey: 'settings', permission: 'audit.read' },
];

/** The items of `permissions`, with the parents of the items shown. */
export function menuFor(permissions: readonly Permission[]): MenuItem[] {
  const held = new Set(permissions);
  const shown = new Set(MENU.filter((item) => held.has(item.permission)).map((item) => item.key));
  for (const item of MENU) if (shown.has(item.key) && item.parentKey) shown.add(item.parentKey);
  return MENU.filter((item) => shown.has(item.key));
}
