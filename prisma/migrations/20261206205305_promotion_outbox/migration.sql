-- Its staff actions go to the audit log through the outbox now (STAFF_ACTION_RECORDED).
-- DropTable
DROP TABLE "promotion"."staff_action";

-- CreateTable
CREATE TABLE "promotion"."outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "event_type" TEXT NOT NULL,
    "brand_id" UUID NOT NULL,
    "envelope" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "promotion"."outbox"("event_id");

-- Like every outbox (see 20261206141217_outbox_unpublished_index), promotion's keeps its
-- unpublished rows in a partial index on id, which the publisher reads them by.
CREATE INDEX "outbox_unpublished_idx" ON "promotion"."outbox"("id") WHERE "published_at" IS NULL;
