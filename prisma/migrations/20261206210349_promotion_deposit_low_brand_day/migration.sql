-- AlterTable: the brand of each low, from its episode (lows recorded before this column)
ALTER TABLE "promotion"."deposit_low" ADD COLUMN     "brand_id" UUID;

UPDATE "promotion"."deposit_low" low SET "brand_id" = episode."brand_id"
FROM "promotion"."deposit_episode" episode WHERE episode."deposit_request_id" = low."deposit_request_id";

ALTER TABLE "promotion"."deposit_low" ALTER COLUMN "brand_id" SET NOT NULL;

-- CreateIndex
CREATE INDEX "deposit_low_brand_id_day_idx" ON "promotion"."deposit_low"("brand_id", "day");
