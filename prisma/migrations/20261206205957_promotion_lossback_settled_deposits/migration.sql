-- CreateTable
CREATE TABLE "promotion"."lossback_settled_deposit" (
    "program_id" UUID NOT NULL,
    "deposit_request_id" UUID NOT NULL,
    "run_id" UUID NOT NULL,

    CONSTRAINT "lossback_settled_deposit_pkey" PRIMARY KEY ("program_id","deposit_request_id")
);

-- CreateIndex
CREATE INDEX "lossback_settled_deposit_run_id_idx" ON "promotion"."lossback_settled_deposit"("run_id");

-- AddForeignKey
ALTER TABLE "promotion"."lossback_settled_deposit" ADD CONSTRAINT "lossback_settled_deposit_program_id_fkey" FOREIGN KEY ("program_id") REFERENCES "promotion"."program"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "promotion"."lossback_settled_deposit" ADD CONSTRAINT "lossback_settled_deposit_run_id_fkey" FOREIGN KEY ("run_id") REFERENCES "promotion"."settlement_run"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
