-- DropIndex
DROP INDEX "game"."outbox_published_at_id_idx";

-- Like every outbox (see 20261206141217_outbox_unpublished_index), the game outbox keeps its
-- unpublished rows in a partial index on id, which the publisher reads them by.
CREATE INDEX "outbox_unpublished_idx" ON "game"."outbox"("id") WHERE "published_at" IS NULL;
