-- CreateTable
CREATE TABLE "admin"."pending_request_totals" (
    "brand_id" UUID NOT NULL,
    "deposit_count" INTEGER NOT NULL DEFAULT 0,
    "deposit_amount_minor" BIGINT NOT NULL DEFAULT 0,
    "withdrawal_count" INTEGER NOT NULL DEFAULT 0,
    "withdrawal_amount_minor" BIGINT NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "pending_request_totals_pkey" PRIMARY KEY ("brand_id")
);
