-- Processing turns of a bank text that failed: past a few, the text goes to review (ERROR).
ALTER TABLE "recon"."message" ADD COLUMN "failures" INTEGER NOT NULL DEFAULT 0;
