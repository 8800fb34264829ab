/**
 * `levels` fragments on `type`, each spreading the next twice, under `root` (which spreads F0):
 * a document of linear size whose expansion doubles with each level.
 */
export const doublingQuery = (levels: number, root: string, type: string, leaf = 'id') =>
  `${root} ${Array.from({ length: levels }, (_, i) => `fragment F${i} on ${type} { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F${levels} on ${type} { ${leaf} }`;
