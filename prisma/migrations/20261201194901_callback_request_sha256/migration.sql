-- AlterTable
ALTER TABLE "game"."callback_log" ADD COLUMN     "request_sha256" BYTEA;
