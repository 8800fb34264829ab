-- CreateEnum
CREATE TYPE "rgs"."RgsWebhookStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

-- CreateTable
CREATE TABLE "rgs"."webhook_cursor" (
    "operator_id" UUID NOT NULL,
    "next_seq" BIGINT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lease_until" TIMESTAMPTZ(3),
    "claims" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "webhook_cursor_pkey" PRIMARY KEY ("operator_id")
);

-- CreateTable
CREATE TABLE "rgs"."webhook_delivery" (
    "event_id" UUID NOT NULL,
    "operator_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,
    "status" "rgs"."RgsWebhookStatus" NOT NULL,
    "attempts" INTEGER NOT NULL,
    "last_error" TEXT,
    "last_response_status" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "delivered_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("event_id")
);

-- CreateIndex
CREATE INDEX "webhook_delivery_operator_id_status_seq_idx" ON "rgs"."webhook_delivery"("operator_id", "status", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "webhook_delivery_operator_id_seq_key" ON "rgs"."webhook_delivery"("operator_id", "seq");

-- AddForeignKey
ALTER TABLE "rgs"."webhook_delivery" ADD CONSTRAINT "webhook_delivery_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "rgs"."event"("id") ON DELETE CASCADE ON UPDATE CASCADE;
