-- DropIndex
DROP INDEX "agent"."agent_parent_id_id_idx";

-- DropIndex
DROP INDEX "agent"."agent_player_brand_id_agent_id_idx";

-- CreateIndex
CREATE INDEX "agent_parent_id_created_at_id_idx" ON "agent"."agent"("parent_id", "created_at" DESC, "id" DESC);
