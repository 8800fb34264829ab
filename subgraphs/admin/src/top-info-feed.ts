import type { PrismaClient } from '@rgb/db';
import { type BrandRef, LiveQueue, type Logger } from '@rgb/kit';
import type { Redis } from 'ioredis';
import { readTopInfo, sameFigures, TOP_INFO_CHANNEL, type TopInfoFigures } from './top-info';

/** Figures a reader may fall behind by before the oldest are dropped (each is superseded by the next). */
const READER_QUEUE = 16;

interface BrandFeed {
  brand: BrandRef;
  readers: Set<LiveQueue<TopInfoFigures>>;
  /** Readers that have not had a first reading yet. */
  newcomers: LiveQueue<TopInfoFigures>[];
  last: TopInfoFigures | undefined;
  /** Another reading is due (a notice came in while one was running). */
  dirty: boolean;
  reading: boolean;
}

/**
 * The live top-info of every brand someone watches. admin_worker's notices (Redis pub/sub, after
 * its commit) and a periodic refresh make it read the brand's figures again, one reading at a
 * time per brand (notices arriving meanwhile are folded into one more), and push them to every
 * reader when they changed. A new reader gets a fresh reading at once. A missed notice (Redis
 * reconnecting, a worker that died between commit and publish) is made good by the refresh.
 */
export class TopInfoFeed {
  private readonly feeds = new Map<string, BrandFeed>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly subscriber: Redis,
    private readonly log: Logger,
    private readonly refreshMs: number,
  ) {}

  async start(): Promise<void> {
    this.subscriber.on('message', (_channel: string, brandId: string) => this.refresh(brandId));
    // Notices sent while disconnected are lost: read every watched brand again on reconnecting.
    this.subscriber.on('ready', () => this.refreshAll());
    await this.subscriber.subscribe(TOP_INFO_CHANNEL);
    this.timer = setInterval(() => this.refreshAll(), this.refreshMs);
    this.timer.unref();
  }

  /** A reader of the brand's figures: the current ones first, then each change. */
  subscribe(brand: BrandRef): LiveQueue<TopInfoFigures> {
    let feed = this.feeds.get(brand.id);
    if (!feed) {
      feed = { brand, readers: new Set(), newcomers: [], last: undefined, dirty: false, reading: false };
      this.feeds.set(brand.id, feed);
    }
    const watched = feed;
    const reader = new LiveQueue<TopInfoFigures>(READER_QUEUE, () => {
      watched.readers.delete(reader);
      if (watched.readers.size === 0 && this.feeds.get(brand.id) === watched) this.feeds.delete(brand.id);
    });
    watched.readers.add(reader);
    watched.newcomers.push(reader);
    void this.pump(watched);
    return reader;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    for (const feed of this.feeds.values()) for (const reader of feed.readers) reader.end();
    this.feeds.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private refresh(brandId: string): void {
    const feed = this.feeds.get(brandId);
    if (!feed) return;
    feed.dirty = true;
    void this.pump(feed);
  }

  private refreshAll(): void {
    for (const brandId of this.feeds.keys()) this.refresh(brandId);
  }

  private async pump(feed: BrandFeed): Promise<void> {
    if (feed.reading) return;
    feed.reading = true;
    try {
      while (feed.dirty || feed.newcomers.length > 0) {
        feed.dirty = false;
        const newcomers = feed.newcomers.splice(0);
        let figures: TopInfoFigures;
        try {
          figures = await readTopInfo(this.prisma, feed.brand);
        } catch (error) {
          // The next notice or refresh reads again; a newcomer keeps waiting for it.
          this.log.error({ err: error, brand: feed.brand.code }, 'reading the top-info failed');
          feed.newcomers.unshift(...newcomers.filter((reader) => !reader.done));
          return;
        }
        if (feed.last && sameFigures(feed.last, figures)) {
          for (const reader of newcomers) reader.push(figures);
        } else {
          feed.last = figures;
          for (const reader of feed.readers) reader.push(figures);
        }
      }
    } finally {
      feed.reading = false;
    }
  }
}
