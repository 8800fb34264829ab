-- DropIndex
DROP INDEX "player"."outbox_published_at_id_idx";

-- DropIndex
DROP INDEX "wallet"."outbox_published_at_id_idx";

-- The publisher probe and claim (WHERE published_at IS NULL ORDER BY id) read only unpublished
-- rows. A partial index holds exactly those, in id order, so both are one short index scan however
-- long the outbox grows and whatever the statistics of the planner say (with statistics taken during a
-- backlog, the plain index lost to a scan of the whole table). A Prisma schema cannot declare a
-- partial index, and the schema engine leaves one it does not know in place.
CREATE INDEX "outbox_unpublished_idx" ON "player"."outbox"("id") WHERE "published_at" IS NULL;
CREATE INDEX "outbox_unpublished_idx" ON "wallet"."outbox"("id") WHERE "published_at" IS NULL;
