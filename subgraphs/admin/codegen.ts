import { subgraphCodegenConfig } from '@rgb/kit/codegen';

export default subgraphCodegenConfig({
  Agent: '../agent-brands#AgentRef',
  Brand: '../brands#BrandRecord',
  StaffMember: '../staff-accounts#StaffRecord',
  Role: '../staff-accounts#RoleRecord',
  AuditLogEntry: '@rgb/db#AuditLog',
  MyStaffAccess: '../my-access#MyAccess',
  TopInfo: '../top-info#TopInfoFigures',
  BrandConfig: '../brand-management#BrandConfigRecord',
  BrandConfigRevision: '../brand-config-history#ConfigRevision',
  DailyFigure: '../daily-figures#DailyFigureRecord',
});
