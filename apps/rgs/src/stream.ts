import type { ServerResponse } from 'node:http';
import type { PrismaClient } from '@rgb/db';
import type { Logger } from '@rgb/kit';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { invalidRequest } from './errors';
import { type EventRow, eventJson, eventsAfter, lastCommitted } from './events';
import type { EventMetrics } from './metrics';
import type { Operator } from './operators';

export interface StreamPolicy {
  /** How often the event counters are read for new commits while a stream is open. */
  pollMs: number;
  /** A comment is sent on a stream that has had nothing else for this long. */
  heartbeatMs: number;
  /** Unsent bytes of a stream past which no more events are read for it. */
  bufferBytes: number;
  /** How long a stream may stay past its buffer before its client is cut. */
  slowClientMs: number;
}

/** Events read per query for one stream. */
const BATCH = 500;
const SEQUENCE = /^\d{1,18}$/;

/**
 * Where a stream resumes: after the `Last-Event-ID` header (which a browser's EventSource sends
 * when it reconnects, so it wins), or `?last_event_id=`; null for neither (new events only).
 */
export function resumePoint(request: FastifyRequest): bigint | null {
  const header = request.headers['last-event-id'];
  const given = typeof header === 'string' && header !== '' ? header : (request.query as { last_event_id?: unknown }).last_event_id;
  if (given === undefined) return null;
  if (typeof given !== 'string' || !SEQUENCE.test(given)) throw invalidRequest('Last-Event-ID (or last_event_id) must be an id this stream gave: a decimal integer');
  return BigInt(given);
}

/** One open GET /stream: its operator, and the last sequence number it was sent (or told of by a reset). */
class StreamClient {
  position: bigint;
  closed = false;
  /** A read of events for it is under way: one at a time, in order. */
  busy = false;
  lastWriteAt = Date.now();

  constructor(
    readonly operatorId: string,
    readonly response: ServerResponse,
    readonly log: FastifyBaseLogger,
    position: bigint,
  ) {
    this.position = position;
  }

  event(event: EventRow): void {
    this.write(`id: ${event.seq}\nevent: ${event.type}\ndata: ${eventJson(event)}\n\n`);
    this.position = event.seq;
  }

  /** The events after `position` up to `resumesAfter` are not kept (or never were): the client must resynchronise. */
  reset(resumesAfter: bigint): void {
    this.write(`id: ${resumesAfter}\nevent: reset\ndata: ${JSON.stringify({ last_event_id: this.position.toString(), resumes_after: resumesAfter.toString() })}\n\n`);
    this.position = resumesAfter;
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  /** Resolves true once the response has drained, false if it closes or `timeoutMs` passes first. */
  drained(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.response.off('drain', onDrain);
        this.response.off('close', onClose);
        resolve(drained);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.response.once('drain', onDrain);
      this.response.once('close', onClose);
    });
  }

  /** Nothing is written once the stream is closed (by either side): a read in flight may still come back. */
  private write(text: string): void {
    if (this.closed) return;
    this.lastWriteAt = Date.now();
    this.response.write(text);
  }
}

/**
 * GET /stream (docs/api/rgs-operators.md): an operator's events as server-sent events, `id:` its sequence
 * number, read only from the committed event log, so no event is sent before its commit, and one
 * committed by any instance reaches the streams of every instance. A stream first catches up from
 * where it resumes, then follows: every `pollMs` one query reads the event counters of the
 * operators with open streams here, and each stream behind its counter reads what it lacks.
 * Polling adds nothing to the bets' transactions (a NOTIFY would serialize their commits) and
 * loses no notice when Redis is away, for a delay of at most `pollMs`.
 */
export class EventStreams {
  private readonly clients = new Set<StreamClient>();
  private timer: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(private readonly deps: { prisma: PrismaClient; log: Logger; metrics: EventMetrics; policy: StreamPolicy }) {}

  /** Streams open on this instance. */
  get open(): number {
    return this.clients.size;
  }

  /** Answers GET /stream for `operator`, resuming after `resumeAfter` (null: from now on). */
  async serve(operator: Operator, resumeAfter: bigint | null, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const committed = (await lastCommitted(this.deps.prisma, [operator.id])).get(operator.id)!;
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // A buffering proxy in front (nginx) would hold events back.
      'x-accel-buffering': 'no',
      'x-request-id': request.id,
    });
    const client = new StreamClient(operator.id, response, request.log, resumeAfter ?? committed);
    response.on('close', () => {
      client.closed = true;
      this.clients.delete(client);
    });
    // A write to a connection the client has just dropped: 'close' follows and ends the stream.
    response.on('error', (error) => request.log.debug({ err: error }, 'stream write failed'));
    // An id past the last committed one was never given by this stream.
    if (resumeAfter !== null && resumeAfter > committed) client.reset(committed);
    else client.comment('stream open');
    this.clients.add(client);
    this.schedulePoll();
    void this.pump(client, committed);
  }

  /** Ends every stream (shutdown): each client reconnects, to another instance, with its Last-Event-ID. */
  close(): void {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    for (const client of this.clients) {
      client.closed = true;
      client.response.end();
    }
    this.clients.clear();
  }

  /** Sends the client its events after its position, up to `committed` at least, while it reads them. */
  private async pump(client: StreamClient, committed: bigint): Promise<void> {
    if (client.busy || client.closed) return;
    client.busy = true;
    try {
      while (!client.closed && client.position < committed) {
        const events = await eventsAfter(this.deps.prisma, client.operatorId, client.position, BATCH);
        // Sequence numbers have no gaps: one missing after the position was pruned.
        const first = events[0]?.seq ?? committed + 1n;
        if (first > client.position + 1n) client.reset(first - 1n);
        for (const event of events) {
          if (client.closed) return;
          if (!(await this.room(client))) return this.cut(client);
          client.event(event);
        }
        if (events.length < BATCH) return;
      }
    } catch (error) {
      // The client reconnects with its Last-Event-ID and misses nothing.
      client.log.error({ err: error }, 'stream read failed: ending the stream');
      client.response.end();
    } finally {
      client.busy = false;
    }
  }

  /** True while the client's unsent bytes are within the buffer, or once they drain in time. */
  private async room(client: StreamClient): Promise<boolean> {
    if (client.response.writableLength <= this.deps.policy.bufferBytes) return true;
    return client.drained(this.deps.policy.slowClientMs);
  }

  private cut(client: StreamClient): void {
    if (client.closed) return;
    this.deps.metrics.streamsCut.inc();
    client.log.warn({ position: client.position.toString(), unsent_bytes: client.response.writableLength }, 'stream client cut: it does not read what it is sent');
    client.response.destroy();
  }

  private schedulePoll(): void {
    if (this.timer || this.closing || this.clients.size === 0) return;
    this.timer = setTimeout(() => void this.poll(), this.deps.policy.pollMs);
  }

  private async poll(): Promise<void> {
    try {
      const now = Date.now();
      for (const client of this.clients) {
        if (!client.busy && now - client.lastWriteAt >= this.deps.policy.heartbeatMs) client.comment('heartbeat');
      }
      const operators = [...new Set([...this.clients].map((client) => client.operatorId))];
      const committed = await lastCommitted(this.deps.prisma, operators);
      for (const client of this.clients) {
        const last = committed.get(client.operatorId) ?? 0n;
        if (client.position < last) void this.pump(client, last);
      }
    } catch (error) {
      this.deps.log.error({ err: error }, 'stream poll failed: trying again');
    } finally {
      this.timer = null;
      this.schedulePoll();
    }
  }
}
