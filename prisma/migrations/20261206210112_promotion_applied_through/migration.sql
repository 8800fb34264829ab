-- CreateTable
CREATE TABLE "promotion"."applied_through" (
    "consumer" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "applied_through_pkey" PRIMARY KEY ("consumer")
);

-- CreateIndex
CREATE INDEX "settlement_run_brand_id_period_start_idx" ON "promotion"."settlement_run"("brand_id", "period_start");
