-- Every withdrawal counts the player's promotion credits twice (before asking rolling, and under
-- the account's lock): a partial index keeps that to the few rows of that kind, whatever the
-- length of the player's ledger.
CREATE INDEX "ledger_entry_promotion_credit_idx" ON "wallet"."ledger_entry"("account_id") WHERE "kind" = 'PROMOTION_CREDIT';
