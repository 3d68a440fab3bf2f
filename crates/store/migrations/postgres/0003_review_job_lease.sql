-- A claimed review job holds a lease: when its worker dies (crash, SIGKILL)
-- the job is claimed again after the lease ends. claimed_ms is the claim time
-- in epoch milliseconds (claimed_at stays as the readable text).
ALTER TABLE review_job ADD COLUMN claimed_ms BIGINT;
