-- AlterTable
ALTER TABLE "admin"."audit_log" ADD COLUMN     "reason" TEXT;
