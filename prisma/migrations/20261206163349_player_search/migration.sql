-- Trigram operator classes for the username and nickname search indexes below (written by hand: the
-- Prisma schema does not declare extensions)
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- DropIndex
DROP INDEX "player"."player_brand_id_created_at_idx";

-- AlterTable
ALTER TABLE "player"."player" ADD COLUMN     "block_reason" TEXT,
ADD COLUMN     "blocked_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "player_brand_id_created_at_id_idx" ON "player"."player"("brand_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "player_brand_id_status_created_at_id_idx" ON "player"."player"("brand_id", "status", "created_at", "id");

-- CreateIndex
CREATE INDEX "player_username_idx" ON "player"."player" USING GIN ("username" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "player_nickname_idx" ON "player"."player" USING GIN ("nickname" gin_trgm_ops);
