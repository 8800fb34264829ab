-- AlterTable
ALTER TABLE "agent"."outgoing_call" ADD COLUMN     "claimed_by" UUID,
ADD COLUMN     "refusal" JSONB;

-- CreateIndex
CREATE INDEX "agent_withdrawal_brand_id_created_at_id_idx" ON "agent"."agent_withdrawal"("brand_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "outgoing_call_brand_id_created_at_id_idx" ON "agent"."outgoing_call"("brand_id", "created_at" DESC, "id" DESC);
