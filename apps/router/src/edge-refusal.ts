/** A request the edge answers itself, with an HTTP status and an error code, before GraphQL runs. */
export class EdgeRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
