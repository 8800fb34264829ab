import type { Context } from '../context';

/** A DATE column as the API writes days: YYYY-MM-DD. */
export const dayOf = (date: Date) => date.toISOString().slice(0, 10);

/** The program a run or item belongs to (of the request's brand, as the row is). */
export async function programOf({ programId }: { programId: string }, _args: unknown, { loaders }: Context) {
  const program = await loaders.programById.load(programId);
  if (!program) throw new Error(`program ${programId} of a settlement is not the brand's`);
  return program;
}
