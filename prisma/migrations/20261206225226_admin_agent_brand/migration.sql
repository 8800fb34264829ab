-- CreateTable
CREATE TABLE "admin"."agent_brand" (
    "agent_id" UUID NOT NULL,
    "brand_id" UUID NOT NULL,
    "granted_by" UUID,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "agent_brand_pkey" PRIMARY KEY ("agent_id","brand_id")
);

-- CreateIndex
CREATE INDEX "agent_brand_brand_id_idx" ON "admin"."agent_brand"("brand_id");

-- AddForeignKey
ALTER TABLE "admin"."agent_brand" ADD CONSTRAINT "agent_brand_brand_id_fkey" FOREIGN KEY ("brand_id") REFERENCES "admin"."brand"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
