import type { ReconDeviceResolvers } from '../generated/resolvers-types';

export const ReconDevice: ReconDeviceResolvers = {
  createdAt: (device) => device.createdAt.toISOString(),
};
