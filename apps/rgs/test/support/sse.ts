// A server-sent events client as the HTML standard's "event stream interpretation" reads a
// stream (lines of `field: value`, a blank line dispatching the message, `:` a comment), over
// fetch, so a test sees exactly the messages a browser's EventSource would, and the comments.
import { waitFor } from '@rgb/kit/testing';

export interface StreamMessage {
  id: string;
  event: string;
  data: string;
}

export interface StreamReader {
  status: number;
  messages: StreamMessage[];
  comments: string[];
  /** The messages that are events of the log (not `reset`), their data parsed. */
  events(): { id: string; event: string; data: { id: string; type: string; occurred_at: string; data: Record<string, unknown> } }[];
  /** Resolves once the server ends the stream (or the connection breaks). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Waits until `count` messages have come. */
  waitForMessages(count: number, timeoutMs?: number): Promise<StreamMessage[]>;
  close(): void;
}

/** Opens `GET {baseUrl}/stream{query}` with the operator key and, when given, a Last-Event-ID header. */
export async function openStream(baseUrl: string, key: string, options: { lastEventId?: string; query?: string } = {}): Promise<StreamReader> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/stream${options.query ?? ''}`, {
    headers: { 'x-operator-key': key, accept: 'text/event-stream', ...(options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId }) },
    signal: abort.signal,
  });
  const messages: StreamMessage[] = [];
  const comments: string[] = [];
  let ended = false;
  const reading = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let message = { id: '', event: '', data: [] as string[] };
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split(/\r\n|\r|\n/);
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          if (line === '') {
            if (message.data.length > 0 || message.event) messages.push({ id: message.id, event: message.event || 'message', data: message.data.join('\n') });
            message = { id: message.id, event: '', data: [] };
            continue;
          }
          if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') message.id = value;
          else if (field === 'event') message.event = value;
          else if (field === 'data') message.data.push(value);
        }
      }
    } catch {
      // Aborted by close(), or the connection broke: the stream has ended either way.
    } finally {
      ended = true;
    }
  })();
  return {
    status: response.status,
    messages,
    comments,
    events: () =>
      messages.filter((message) => message.event !== 'reset').map((message) => ({ id: message.id, event: message.event, data: JSON.parse(message.data) })),
    ended: reading,
    isEnded: () => ended,
    waitForMessages: (count, timeoutMs = 10_000) => waitFor(`${count} stream messages (have ${messages.length})`, () => messages.length >= count && messages.slice(0, count), timeoutMs),
    close: () => abort.abort(),
  };
}
